"""The map (/monitoring/map/): the page, its points as compact JSON, a point's card in a popup; and a point's chart
data (/monitoring/points/<pk>/series/). Kept apart from the list and detail pages (`views.py`)."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from xiangzhi.core.pages import requires

from . import charts, conf, maps
from . import permissions as perms
from .choices import Quantity
from .models import Point


@requires(perms.VIEW)
def map_page(request):
    filterset = maps.MapFilter(request.GET or None, queryset=Point.objects.none(), request=request)
    if filterset.is_bound:
        filterset.is_valid()  # a village out of scope is a 404, like everywhere
    active = [name for name in ("category", "status", "kind", "village") if request.GET.get(name)]
    config = {
        "tiles": conf.map_tiles(),
        "subdomains": conf.map_subdomains(),
        "attribution": conf.map_attribution(),
        "gcj02": conf.map_tiles_gcj02(),
        "legend": maps.legend(),
        "outlines": maps.village_outlines(user=request.user),
        "text": {
            "loading": gettext("Loading…"),
            "failed": gettext("Could not load the points."),
            "count": gettext("%(n)s points"),
            "none": gettext("No point matches these filters."),
            "details": gettext("Details and charts"),
        },
    }
    return render(
        request,
        "monitoring/map.html",
        {"form": filterset.form, "active": active, "config": config},
    )


@requires(perms.VIEW)
def map_points(request):
    rows = maps.map_points(user=request.user, params=request.GET, request=request)
    return JsonResponse({"count": len(rows), "points": rows})


@requires(perms.VIEW)
def map_card(request, pk):
    return render(request, "monitoring/_map_card.html", {"card": maps.point_card(user=request.user, pk=pk)})


@requires(perms.VIEW)
def point_series(request, pk):
    point = Point.objects.restrict(request.user, perms.VIEW).select_related("reservoir").get(pk=pk)
    quantity = request.GET.get("quantity", "")
    span = request.GET.get("span", "24h")
    if not quantity:  # what the point can chart
        return JsonResponse(
            {
                "quantities": charts.chart_quantities(user=request.user, point=point),
                "spans": list(charts.RANGES),
            }
        )
    if span not in charts.RANGES or quantity not in Quantity.values:
        raise Http404
    return JsonResponse(charts.series(user=request.user, point=point, quantity=quantity, span=span))
