from django.utils.translation import gettext_lazy as _

from xiangzhi.messaging.texts import register_text

NOTICE = register_text(
    "notices.notice",
    _("notice"),
    _("[%(town)s] Notice from %(by)s: %(title)s. Read it on your household page, or ask your village cadre."),
)
