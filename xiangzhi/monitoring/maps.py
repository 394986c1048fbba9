"""What the map reads, always through `restrict()`: the points as compact rows (one query of plain values, no model
instances, whatever the number of points), the villages' outlines, and one point's card.

The points answer is `{"points": [[id, lat, lon, status, kind, category, code, name, village_id], …]}` with
status, kind and category as indexes into the lists the page already holds (`legend()`), so 1,000 points are
about 50 KB of JSON.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import django_filters
from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village
from xiangzhi.core.filtersets import ScopedFilterSet, ScopedModelChoiceFilter
from xiangzhi.registry.models import Household

from . import conf
from . import permissions as perms
from .choices import UNITS, PointCategory, PointKind, PointStatus, Quantity
from .geo import centroid, outline, wgs84_to_gcj02
from .models import Point, PointStatusChange, Reading, Snapshot

RESERVOIR_CATEGORIES = (PointCategory.RESERVOIR_SPILLWAY, PointCategory.DAM, PointCategory.RESERVOIR_SHORE)
STATUSES = list(PointStatus.values)
KINDS = list(PointKind.values)
CATEGORIES = list(PointCategory.values)


class MapFilter(ScopedFilterSet):
    """The map's filters (?reservoirs=1&category=&status=&kind=&village=), the same for the page's form (which
    works without JavaScript: it reloads the page) and the points' JSON."""

    reservoirs = django_filters.BooleanFilter(
        method="filter_reservoirs",
        label=_("Reservoirs"),
        widget=django_filters.widgets.BooleanWidget(),
    )
    category = django_filters.ChoiceFilter(
        choices=PointCategory.choices, label=_("category"), empty_label=_("any category")
    )
    status = django_filters.ChoiceFilter(
        choices=PointStatus.choices, label=_("status"), empty_label=_("any status")
    )
    kind = django_filters.ChoiceFilter(choices=PointKind.choices, label=_("kind"), empty_label=_("any kind"))
    village = ScopedModelChoiceFilter(Village, perms.VIEW, label=_("village"), empty_label=_("any village"))

    class Meta:
        model = Point
        fields = ["reservoirs", "category", "status", "kind", "village"]

    def filter_reservoirs(self, queryset, name, value):
        """水库: the points on a reservoir's spillway, dam or shore, and any point watching a reservoir (its
        level gauge)."""
        if not value:
            return queryset
        return queryset.filter(Q(category__in=RESERVOIR_CATEGORIES) | Q(reservoir__isnull=False))


def _display(lat: float, lon: float, gcj02: bool) -> tuple[float, float]:
    if gcj02:
        lat, lon = wgs84_to_gcj02(lat, lon)
    return round(lat, 6), round(lon, 6)


def map_points(*, user, params, request=None) -> list[list]:
    """The points in the user's scope matching `params` that have a place, as compact rows. One query."""
    qs = Point.objects.restrict(user, perms.VIEW).filter(latitude__isnull=False, longitude__isnull=False)
    filterset = MapFilter(params, queryset=qs, request=request)
    qs = filterset.qs if filterset.is_valid() else qs.none()
    gcj02 = conf.map_tiles_gcj02()
    status_ix = {s: i for i, s in enumerate(STATUSES)}
    kind_ix = {k: i for i, k in enumerate(KINDS)}
    category_ix = {c: i for i, c in enumerate(CATEGORIES)}
    rows = []
    for pk, lat, lon, status, kind, category, code, name, village_id in qs.order_by().values_list(
        "pk", "latitude", "longitude", "status", "kind", "category", "code", "name", "village_id"
    ):
        y, x = _display(float(lat), float(lon), gcj02)
        rows.append(
            [pk, y, x, status_ix[status], kind_ix[kind], category_ix[category], code, name, village_id]
        )
    return rows


def legend() -> dict:
    """The labels the points' indexes stand for (translated), for the page's script."""
    return {
        "statuses": [{"code": s, "label": str(PointStatus(s).label)} for s in STATUSES],
        "kinds": [str(PointKind(k).label) for k in KINDS],
        "categories": [str(PointCategory(c).label) for c in CATEGORIES],
    }


OUTLINE_SECONDS = 600


def _outline_key(village_id: int) -> str:
    return f"monitoring:outline:{village_id}"


def village_outlines(*, user) -> list[dict]:
    """Each village in the user's scope with its outline (`geo.outline`: the convex hull of its households' and
    points' coordinates snapped to a ~100 m grid, pushed out ~150 m — drawn where there is no base map) and where
    its name goes. Kept in the cache for ten minutes per village: villages do not move."""
    villages = list(
        Village.objects.restrict(user, perms.VIEW).order_by("code", "name").values_list("pk", "name")
    )
    cached = cache.get_many([_outline_key(pk) for pk, _name in villages])
    missing = [pk for pk, _name in villages if _outline_key(pk) not in cached]
    if missing:
        coords: dict[int, list[tuple[float, float]]] = defaultdict(list)
        households = Household.objects.unrestricted(
            "village outlines: only the coordinates of the villages the user's monitoring scope reaches, "
            "snapped to a 100-m grid and buffered, so no household is shown"
        ).filter(village_id__in=missing, latitude__isnull=False, longitude__isnull=False)
        points = Point.objects.unrestricted(
            "village outlines: every point of the villages the user's monitoring scope reaches, coarsened too"
        ).filter(village_id__in=missing, latitude__isnull=False, longitude__isnull=False)
        for qs in (households, points):
            for village_id, lat, lon in qs.order_by().values_list("village_id", "latitude", "longitude"):
                coords[village_id].append((float(lat), float(lon)))
        fresh = {}
        for pk in missing:
            ring = outline(coords.get(pk, []))
            fresh[_outline_key(pk)] = {"ring": ring, "label": centroid(ring)}
        cache.set_many(fresh, OUTLINE_SECONDS)
        cached.update(fresh)
    gcj02 = conf.map_tiles_gcj02()
    result = []
    for pk, name in villages:
        shape = cached[_outline_key(pk)]
        if not shape["ring"]:
            continue
        result.append(
            {
                "id": pk,
                "name": name,
                "ring": [_display(lat, lon, gcj02) for lat, lon in shape["ring"]],
                "label": _display(shape["label"][0], shape["label"][1], gcj02),
            }
        )
    return result


def live_view_url(point: Point) -> tuple[str, str]:
    """(url, kind) of the point's live view: the town's media server (`XIANGZHI_MEDIA_URL` with `{code}`) when set,
    else the camera's RTSP URL without any credentials; ("", "") for a point without a stream."""
    template = conf.media_url_template()
    if template and point.has_stream:
        return template.replace("{code}", point.code), "relay"
    url = point.stream_sub_url or point.stream_main_url
    if not url:
        return "", ""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # never a credential, even one stored by an older version
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), "rtsp"


@dataclass
class Card:
    point: Point
    latest: list[tuple[str, float, str, object]]  # (quantity label, value, unit, at)
    history: list[PointStatusChange]
    snapshot: Snapshot | None
    live_url: str
    live_kind: str


def point_card(*, user, pk: int) -> Card:
    """What the map's popup shows of one point: its status, its latest value of each quantity, its last status
    changes, its last snapshot and its live-view link. Five queries."""
    point = Point.objects.restrict(user, perms.VIEW).select_related("village", "reservoir").get(pk=pk)
    latest: dict[str, tuple] = {}
    for quantity, value, at in (
        Reading.objects.restrict(user, perms.VIEW)
        .filter(point=point)
        .order_by("-at")
        .values_list("quantity", "value", "at")[:20]
    ):
        latest.setdefault(quantity, (value, at))
    readings = [(str(Quantity(q).label), v, UNITS.get(q, ""), at) for q, (v, at) in sorted(latest.items())]
    history = list(
        PointStatusChange.objects.restrict(user, perms.VIEW).filter(point=point).order_by("-at", "-id")[:3]
    )
    snapshot = (
        Snapshot.objects.restrict(user, perms.VIEW)
        .filter(point=point)
        .order_by("-taken_at", "-id")
        .only("pk", "taken_at", "point_id")
        .first()
    )
    url, kind = live_view_url(point)
    return Card(point, readings, history, snapshot, url, kind)
