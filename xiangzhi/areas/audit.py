"""What town set-up writes to the audit log: its actions and what a row keeps of a village and a group."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from . import permissions as perms
from .models import Village, VillageGroup

register_action("areas.village.create", _("added a village or community"))
register_action("areas.village.update", _("changed a village or community"))
register_action("areas.group.create", _("added a village group"))
register_action("areas.group.update", _("changed a village group"))

register_model(Village, fields=("name", "kind", "code"), link=("areas:village", perms.CONFIGURE))
register_model(VillageGroup, fields=("number", "name"), link=("areas:group", perms.CONFIGURE))
