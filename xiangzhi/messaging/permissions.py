"""Who reads the outbox and who may send a test message."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.permissions import Level, Role, register

VIEW_OUTBOX = register(
    "messaging.view_outbox",
    _("read the outbox: every text and in-app message, its state and the gateway's answer"),
    grants={Role.TOWN_ADMIN: Level.TOWN},
    models=("messaging.Message",),
)
SEND_TEST = register(
    "messaging.send_test",
    _("send a test text message to check the SMS gateway"),
    grants={Role.TOWN_ADMIN: Level.TOWN},
    models=("messaging.Message",),
)
