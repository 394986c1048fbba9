from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import ResidentAccount

register_action("portal.resident.sign_in", _("signed in as a resident"), fields={"via": _("how")})
register_action(
    "portal.own_phone.reveal", _("saw their own phone number in full"), fields={"numbers": _("numbers")}
)
register_action("portal.door_plate.issue", _("printed a household's door-plate card"))
register_model(ResidentAccount, fields=("resident",))
