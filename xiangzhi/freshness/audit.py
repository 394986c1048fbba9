from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import Campaign

register_action("freshness.campaign.start", _("started a reconfirmation campaign"))
register_action("freshness.campaign.remind", _("sent a campaign's reminders"))
register_model(Campaign, fields=("name", "village", "starts_on", "ends_on"))
