from django.utils.translation import gettext_lazy as _

from xiangzhi.messaging.texts import register_text

REMINDER = register_text(
    "freshness.reminder",
    _("reconfirmation reminder"),
    _(
        "[%(town)s] %(village)s is checking every household's record (%(name)s, until %(until)s). Please confirm "
        "yours on your household page, or tell your grid worker."
    ),
)
