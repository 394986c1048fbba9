from django.utils.translation import gettext_lazy as _

from xiangzhi.messaging.texts import register_text

DECIDED = register_text(
    "livedata.decided",
    _("change request decided"),
    _('[%(town)s] Your request "%(kind)s" is %(outcome)s. See your household page for details.'),
)
AWAITING_HEAD = register_text(
    "livedata.awaiting_head",
    _("change request for the head"),
    _(
        '[%(town)s] %(name)s asks to change your household\'s record ("%(kind)s"). Approve it on your household page.'
    ),
)
