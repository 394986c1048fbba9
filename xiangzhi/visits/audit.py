from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import Visit, VisitPhoto, VisitPolicy

register_action("visits.visit.log", _("logged a field visit"))
register_action("visits.policy.set", _("set how often a flag is visited"))
register_action("visits.photo.add", _("added a photo to a field visit"))
register_model(Visit, fields=("household", "visited_on", "notes"))
register_model(VisitPhoto, fields=("visit",))
register_model(VisitPolicy, fields=("flag", "every_days"))
