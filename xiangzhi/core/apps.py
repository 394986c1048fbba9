from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiangzhi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Every app declares its permissions and audit actions in its own modules; importing them registers them.
        autodiscover_modules("permissions", "audit")
        from . import checks  # noqa: F401
