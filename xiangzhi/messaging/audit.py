"""What messaging writes to the audit log."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model
from xiangzhi.core.masking import mask_phone

from .models import Message

register_action("messaging.test.send", _("sent a test text message"))
register_action("messaging.message.resend", _("sent a failed text message again"))
register_model(
    Message,
    fields=("channel", "kind", "recipient_name", "phone", "state"),
    masked={"phone": mask_phone},
)
