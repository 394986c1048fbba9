from django.db import models
from django.utils.translation import gettext_lazy as _


class VillageKind(models.TextChoices):
    VILLAGE = "village", _("Village (村)")
    COMMUNITY = "community", _("Community (社区)")
