"""`{% point_charts point %}`: a point's charts (24 h, 7 days, 90 days per quantity) on its page, drawn by uPlot
from `/monitoring/points/<pk>/series/`; and `{% point_live_link point %}`, its live view."""

from django import template
from django.utils.translation import gettext

from .. import charts, maps
from ..choices import UNITS, Quantity

register = template.Library()


@register.inclusion_tag("monitoring/_charts.html", takes_context=True)
def point_charts(context, point):
    user = context["request"].user
    quantities = charts.chart_quantities(user=user, point=point)
    return {
        "point": point,
        "quantities": [(q, Quantity(q).label, UNITS.get(q, "")) for q in quantities],
        "spans": list(charts.RANGE_LABELS.items()),
        "chart_text": {
            "time": gettext("time"),
            "latest": gettext("latest"),
            "high": gettext("highest"),
            "low": gettext("lowest"),
            "total": gettext("total"),
            "none": gettext("No readings in this period."),
            "failed": gettext("Could not load the chart."),
            "mean": gettext("mean"),
            "range": gettext("lowest to highest"),
            "raw": gettext("each reading"),
            "hourly": gettext("hourly means"),
            "daily": gettext("daily means"),
        },
    }


@register.inclusion_tag("monitoring/_live_link.html")
def point_live_link(point):
    url, kind = maps.live_view_url(point)
    return {"url": url, "kind": kind}
