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
