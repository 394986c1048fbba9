"""The demo town's monitoring network: 8 reservoirs, each with a water-level gauge and cameras on its spillway,
dam and shore; rain gauges; a few water-quality stations; about 1,000 cameras in the mix of the town's (forest-fire
points, the town centre, schools, rural roads, courtyards; 38 of them public-area points), placed around the
villages' households; most online, some offline for days, a few never seen, each with its status history; a month
of readings for the gauges, rolled up. Written with bulk inserts: a second or two."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.db.models import Avg
from django.utils import timezone

from xiangzhi.areas.models import Village
from xiangzhi.registry.models import Household

from . import services
from .choices import PointCategory, PointKind, PointStatus, Quantity, TransitionReason
from .models import Point, PointStatusChange, Reservoir

RESERVOIRS = ["响水滩", "红旗", "龙井", "石河堰", "双河", "团结", "黄泥堰", "跃进"]
# cameras per category away from the reservoirs (the reservoirs' own are added per reservoir)
CAMERA_MIX = {
    PointCategory.FOREST_FIRE: 130,
    PointCategory.TOWN_CENTRE: 70,
    PointCategory.SCHOOL: 60,
    PointCategory.RURAL_ROAD: 340,
    PointCategory.COURTYARD: 290,
    PointCategory.OTHER: 14,
}
PUBLIC_AREA = 38
CENTER = (29.70, 105.72)
PLACES = {
    PointCategory.FOREST_FIRE: ["后山林区", "青龙山", "松林坡", "大坪山", "尖山子"],
    PointCategory.TOWN_CENTRE: ["场镇主街", "农贸市场", "客运站", "镇政府广场", "十字路口"],
    PointCategory.SCHOOL: ["中心小学", "幼儿园", "初级中学"],
    PointCategory.RURAL_ROAD: ["村道", "机耕道", "桥头", "岔路口", "村口"],
    PointCategory.COURTYARD: ["院坝", "农家院坝", "老屋院坝"],
    PointCategory.OTHER: ["村委会", "便民服务中心"],
}
VENDORS = [("海康威视", "DS-2CD3T47"), ("大华", "IPC-HFW2431"), ("宇视", "IPC2124"), ("天地伟业", "TC-C34")]
SURNAMES = "王李张刘陈杨黄赵吴周"


def _coord(rng, center, spread=0.012) -> tuple[Decimal, Decimal]:
    return (
        Decimal(f"{center[0] + rng.uniform(-spread, spread):.6f}"),
        Decimal(f"{center[1] + rng.uniform(-spread, spread):.6f}"),
    )


def _spot(reservoir: Reservoir) -> tuple[float, float]:
    return (float(reservoir.latitude or CENTER[0]), float(reservoir.longitude or CENTER[1]))


def _village_centres(town, villages, rng) -> dict[int, tuple[float, float]]:
    """Each village's centre: the mean of its households' coordinates (one grouped query), or a spot near the
    town's centre for a village without any."""
    found = {
        row["village_id"]: (float(row["lat"]), float(row["lon"]))
        for row in Household.objects.unrestricted("the demo town's households, placed on its map")
        .filter(town=town, latitude__isnull=False)
        .values("village_id")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
    }
    return {
        v.pk: found.get(v.pk) or (CENTER[0] + rng.uniform(-0.06, 0.06), CENTER[1] + rng.uniform(-0.06, 0.06))
        for v in villages
    }


def _households_placed(town, centres, rng) -> None:
    missing = list(
        Household.objects.unrestricted("the demo town's households without coordinates")
        .filter(town=town, latitude__isnull=True)
        .only("pk", "village_id")
    )
    for h in missing:
        h.latitude, h.longitude = _coord(rng, centres.get(h.village_id, CENTER), 0.01)
    Household.objects.bulk_update(missing, ["latitude", "longitude"], batch_size=1000)


def demo_monitoring(*, town, admin, rng) -> list[str]:
    now = timezone.now()
    villages = list(Village.objects.unrestricted("the demo town's villages").filter(town=town).order_by("pk"))
    centres = _village_centres(town, villages, rng)
    _households_placed(town, centres, rng)

    reservoirs = []
    for i, name in enumerate(RESERVOIRS):
        village = villages[i % len(villages)] if villages else None
        normal = Decimal(300 + rng.randint(0, 120))
        centre = centres[village.pk] if village else CENTER
        lat, lon = _coord(rng, (centre[0] + 0.01, centre[1] + 0.01), 0.004)
        reservoirs.append(
            Reservoir(
                town=town,
                village=village,
                name=f"{name}水库",
                code=f"SK{i + 1:02d}",
                normal_pool_level=normal,
                flood_limit_level=normal - Decimal("1.50"),
                design_flood_level=normal + Decimal("2.20"),
                dam_crest_elevation=normal + Decimal("3.80"),
                latitude=lat,
                longitude=lon,
            )
        )
    reservoirs = Reservoir.objects.bulk_create(reservoirs)

    points: list[Point] = []
    counter = {"n": 0}

    def add(kind, category, name, village, centre, *, reservoir=None, spread=0.012, public=False, **extra):
        counter["n"] += 1
        lat, lon = _coord(rng, centre, spread)
        vendor, model = rng.choice(VENDORS) if kind == PointKind.CAMERA else ("", "")
        host = f"10.{20 + counter['n'] // 250}.{counter['n'] % 250}.64"
        points.append(
            Point(
                town=town,
                code=extra.pop("code", None) or f"CAM-{counter['n']:04d}",
                name=name,
                kind=kind,
                category=category,
                public_area=public,
                village=village,
                latitude=lat,
                longitude=lon,
                reservoir=reservoir,
                vendor=vendor,
                device_model=model,
                installed_on=(now - datetime.timedelta(days=rng.randint(200, 1200))).date(),
                stream_main_url=f"rtsp://{host}:554/Streaming/Channels/101"
                if kind == PointKind.CAMERA
                else "",
                stream_sub_url=f"rtsp://{host}:554/Streaming/Channels/102"
                if kind == PointKind.CAMERA
                else "",
                stream_username="admin" if kind == PointKind.CAMERA else "",
                stream_password=f"Demo-{counter['n']:04d}x" if kind == PointKind.CAMERA else "",
                **extra,
            )
        )

    gauges = []
    for i, reservoir in enumerate(reservoirs):
        village = reservoir.village
        spot = _spot(reservoir)
        gauges.append(len(points))
        add(
            PointKind.WATER_LEVEL,
            PointCategory.DAM,
            f"{reservoir.name}水位站",
            village,
            spot,
            reservoir=reservoir,
            spread=0.001,
            code=f"SW-{i + 1:02d}",
            responsible=admin,
        )
        for j in range(2):
            add(
                PointKind.CAMERA,
                PointCategory.RESERVOIR_SPILLWAY,
                f"{reservoir.name}溢洪道{j + 1}",
                village,
                spot,
                reservoir=reservoir,
                spread=0.002,
                responsible=admin,
            )
        for j in range(3):
            add(
                PointKind.CAMERA,
                PointCategory.DAM,
                f"{reservoir.name}大坝{j + 1}",
                village,
                spot,
                reservoir=reservoir,
                spread=0.002,
                responsible=admin,
            )
        for j in range(7):
            add(
                PointKind.CAMERA,
                PointCategory.RESERVOIR_SHORE,
                f"{reservoir.name}库岸{j + 1}",
                village,
                spot,
                reservoir=reservoir,
                spread=0.006,
                responsible=admin,
            )
    rain = []
    for i in range(6):
        village = villages[(i * 3) % len(villages)] if villages else None
        rain.append(len(points))
        add(
            PointKind.RAIN,
            PointCategory.OTHER,
            f"{village.name if village else ''}雨量站",
            village,
            centres[village.pk] if village else CENTER,
            code=f"YL-{i + 1:02d}",
            responsible=admin,
        )
    quality = []
    for i, reservoir in enumerate(reservoirs[:4]):
        quality.append(len(points))
        add(
            PointKind.WATER_QUALITY,
            PointCategory.RESERVOIR_SHORE,
            f"{reservoir.name}水质站",
            reservoir.village,
            _spot(reservoir),
            reservoir=reservoir,
            spread=0.003,
            code=f"SZ-{i + 1:02d}",
            responsible=admin,
        )

    public_left = PUBLIC_AREA
    for category, count in CAMERA_MIX.items():
        for k in range(count):
            # the town centre's cameras are the town's own; the rest belong to a village
            village = (
                None if category == PointCategory.TOWN_CENTRE else rng.choice(villages) if villages else None
            )
            centre = centres[village.pk] if village else CENTER
            public = (
                public_left > 0
                and category in (PointCategory.TOWN_CENTRE, PointCategory.SCHOOL, PointCategory.RURAL_ROAD)
                and rng.random() < 0.3
            )
            public_left -= public
            place = rng.choice(PLACES[category])
            name = f"{village.name if village else '场镇'}{place}{k % 9 + 1}号"
            keeper = f"{rng.choice(SURNAMES)}师傅"
            add(
                PointKind.CAMERA,
                category,
                name,
                village,
                centre,
                spread=0.004 if village else 0.003,
                public=public,
                forest_area=place if category == PointCategory.FOREST_FIRE else "",
                responsible_name=keeper,
                responsible_phone=f"139{rng.randint(10000000, 99999999)}",
            )
    for point in points:  # any public-area points still owed, among the town centre's
        if public_left <= 0:
            break
        if point.category == PointCategory.TOWN_CENTRE and not point.public_area:
            point.public_area, public_left = True, public_left - 1

    history: list[PointStatusChange] = []
    for index, point in enumerate(points):
        installed = datetime.datetime.combine(
            point.installed_on or now.date(), datetime.time(10), tzinfo=datetime.UTC
        )
        roll = rng.random()
        if index in gauges or index in rain or index in quality:
            roll = max(roll, 0.2)  # the gauges all report; a few flap below
        if roll < 0.025:
            point.status, point.status_since = PointStatus.NEVER_SEEN, installed
            continue
        first = installed + datetime.timedelta(hours=2)
        history.append(
            PointStatusChange(
                town=town,
                point=point,
                from_status=PointStatus.NEVER_SEEN,
                to_status=PointStatus.ONLINE,
                at=first,
                reason=TransitionReason.HEARTBEAT,
            )
        )
        # a few flaps in the past months
        t = now - datetime.timedelta(days=rng.randint(20, 120))
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            back = t + datetime.timedelta(hours=rng.randint(1, 30))
            history.append(
                PointStatusChange(
                    town=town,
                    point=point,
                    from_status=PointStatus.ONLINE,
                    to_status=PointStatus.OFFLINE,
                    at=t,
                    reason=TransitionReason.MISSED,
                )
            )
            history.append(
                PointStatusChange(
                    town=town,
                    point=point,
                    from_status=PointStatus.OFFLINE,
                    to_status=PointStatus.ONLINE,
                    at=back,
                    reason=TransitionReason.HEARTBEAT,
                )
            )
            t = back + datetime.timedelta(days=rng.randint(3, 15))
        if roll < 0.11:  # offline: from an hour to seven weeks
            since = now - datetime.timedelta(minutes=int(60 * 24 * 50 * rng.random() ** 2) + 60)
            point.status, point.status_since = PointStatus.OFFLINE, since
            point.last_seen_at = since - datetime.timedelta(minutes=6)
            history.append(
                PointStatusChange(
                    town=town,
                    point=point,
                    from_status=PointStatus.ONLINE,
                    to_status=PointStatus.OFFLINE,
                    at=since,
                    reason=TransitionReason.MISSED,
                )
            )
        else:
            point.status = PointStatus.ONLINE
            point.status_since = max((c.at for c in history[-3:] if c.point is point), default=first)
            point.last_seen_at = now - datetime.timedelta(seconds=rng.randint(1, 50))
            point.good_streak = 1
    points = Point.objects.bulk_create(points, batch_size=500)
    for change in history:
        change.point_id = change.point.pk
    PointStatusChange.objects.bulk_create(history, batch_size=1000)

    _readings(town, points, gauges, rain, quality, reservoirs, now, rng)
    # nothing to print: the command's notes end with the residents' sign-in lines, read as a list by their test
    return []


def _readings(town, points, gauges, rain, quality, reservoirs, now, rng) -> None:
    """A month of hourly readings for the gauges (four a day for the water-quality stations), and their rollups."""
    start = (now - datetime.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    hours = 30 * 24
    by_reservoir = {r.pk: r for r in reservoirs}
    Value = services.Value
    for index in gauges:
        point = points[index]
        normal = float(by_reservoir[point.reservoir_id].normal_pool_level)
        level = normal - 2.5 + rng.random()
        values = []
        for h in range(hours):
            level += rng.uniform(-0.02, 0.022) + (0.15 if 500 < h < 520 else 0)  # a storm's rise
            values.append(Value(Quantity.WATER_LEVEL, start + datetime.timedelta(hours=h), round(level, 2)))
        services.readings_record(point=point, values=values)
    for index in rain:
        values = []
        for h in range(hours):
            wet = 495 < h < 515 or rng.random() < 0.05
            amount = round(rng.uniform(0.5, 12) if wet else 0.0, 1)
            values.append(Value(Quantity.RAINFALL, start + datetime.timedelta(hours=h), amount))
        services.readings_record(point=points[index], values=values)
    for index in quality:
        values = []
        for h in range(0, hours, 6):
            at = start + datetime.timedelta(hours=h)
            wave = math.sin(h / 24 * math.pi)
            for quantity, value in (
                (Quantity.PH, 7.2 + 0.3 * wave),
                (Quantity.TURBIDITY, 6 + 3 * rng.random()),
                (Quantity.DISSOLVED_OXYGEN, 7.5 + wave),
                (Quantity.AMMONIA_NITROGEN, 0.3 + 0.2 * rng.random()),
                (Quantity.TOTAL_PHOSPHORUS, 0.03 + 0.02 * rng.random()),
            ):
                values.append(Value(quantity, at, round(value, 3)))
        services.readings_record(point=points[index], values=values)
    services.rollups_refresh(
        since=start, until=now, point_ids=[points[i].pk for i in gauges + rain + quality]
    )
