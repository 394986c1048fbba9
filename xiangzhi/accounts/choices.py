from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TOWN_ADMIN = "town_admin", _("Town administrator")
    CADRE = "cadre", _("Village cadre")
    GRID = "grid", _("Grid worker")
    DUTY = "duty", _("Duty officer")
    CLERK = "clerk", _("Shop clerk")
    AUDITOR = "auditor", _("Auditor")
    RESIDENT = "resident", _("Resident")
