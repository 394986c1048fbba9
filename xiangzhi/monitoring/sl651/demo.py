"""The demo town's gauges get SL 651 station addresses, so a frame sent by hand lands on a gauge's chart."""

from ..choices import PointKind
from ..models import Point

PREFIXES = {"SW-": "00610000", "YL-": "00620000", "SZ-": "00630000"}  # level, rain, water quality


def demo_addresses(*, town, admin, rng) -> list[str]:
    gauges = (
        Point.objects.unrestricted("the demo town's gauges, just made")
        .filter(town=town, kind__in=[PointKind.WATER_LEVEL, PointKind.RAIN, PointKind.WATER_QUALITY])
        .order_by("code")
    )
    taken = set(
        Point.objects.unrestricted("addresses are unique across towns")
        .exclude(sl651_address="")
        .values_list("sl651_address", flat=True)
    )
    first = None
    for point in gauges:
        prefix = next((p for c, p in PREFIXES.items() if point.code.startswith(c)), None)
        number = point.code.rsplit("-", 1)[-1]
        if prefix is None or not number.isdigit() or point.sl651_address:
            continue
        address = f"{prefix}{int(number):02d}"
        if address in taken:
            continue
        Point.objects.unrestricted("the demo's own gauge").filter(pk=point.pk).update(sl651_address=address)
        first = first or (point, address)
    if first is None:
        return []
    point, address = first
    return [
        f"SL 651: gauges answer to 0061000001… (level), 0062000001… (rain); try `manage.py sl651_listener` and "
        f"`manage.py sl651_send --station {address} --reservoir-level 315.2 --rain 1.5` → {point.code} {point.name}"
    ]
