from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import Notice

register_action("notices.notice.publish", _("published a notice"))
register_model(Notice, fields=("title", "village", "sms"))
