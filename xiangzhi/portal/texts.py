from django.utils.translation import gettext_lazy as _

from xiangzhi.messaging.texts import register_text

SIGN_IN_CODE = register_text(
    "portal.sign_in_code",
    _("sign-in code"),
    _(
        "[%(town)s] Your sign-in code is %(code)s, valid for %(minutes)s minutes. If you did not ask for it, "
        "ignore this message."
    ),
)

REVEAL_CODE = register_text(
    "portal.reveal_code",
    _("code to see one's own number"),
    _(
        "[%(town)s] Your code to see your own phone number in full is %(code)s, valid for %(minutes)s minutes. "
        "If you did not ask for it, ignore this message."
    ),
)
