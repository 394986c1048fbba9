from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivedataConfig(AppConfig):
    name = "xiangzhi.livedata"
    label = "livedata"
    verbose_name = _("Change requests")
