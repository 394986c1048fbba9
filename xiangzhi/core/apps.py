from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiangzhi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Every app declares its permissions, audit actions and background tasks in its own modules; importing them
        # registers them.
        autodiscover_modules("permissions", "audit", "tasks")
        from . import checks  # noqa: F401
