from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import Visit, VisitPolicy

register_action("visits.visit.log", _("logged a field visit"))
register_action("visits.policy.set", _("set how often a flag is visited"))
register_model(Visit, fields=("household", "visited_on", "notes"))
register_model(VisitPolicy, fields=("flag", "every_days"))
