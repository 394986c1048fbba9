"""Monitoring's part of the project-wide tests (`xiangzhi/tests/access.py`)."""

from xiangzhi.tests.access import Access, Scan, everyone, holders, page, page_post_only

VIEW = holders("monitoring.view")
CONFIGURE = holders("monitoring.configure")
SNAPSHOT = holders("monitoring.snapshot")

TABLE: dict[str, Access] = {
    "monitoring:health": page(VIEW),
    "monitoring:points": page(VIEW),
    "monitoring:offline": page(VIEW),
    "monitoring:point": page(VIEW, pk="monitoring_point"),
    "monitoring:point_create": page(CONFIGURE, form=True),
    "monitoring:point_edit": page(CONFIGURE, pk="monitoring_point", form=True),
    "monitoring:point_snapshot": page_post_only(
        SNAPSHOT, (302, "/monitoring/points/"), pk="monitoring_point"
    ),
    "monitoring:snapshot": page(VIEW, pk="monitoring_snapshot"),
    "monitoring:reservoirs": page(VIEW),
    "monitoring:reservoir_create": page(CONFIGURE, form=True),
    "monitoring:reservoir_edit": page(CONFIGURE, pk="monitoring_reservoir", form=True),
    "monitoring:policies": page(CONFIGURE, form=True),
    "monitoring:device_key": page(CONFIGURE, pk="monitoring_point", form=True),
    # devices only, by signature: a person (signed in or not) is not a device — 401 without a signature
    "api-monitoring-ingest": Access(
        get=everyone(405, anonymous=405), post=everyone(401, anonymous=401), json=True
    ),
    "monitoring:map": page(VIEW),
    "monitoring:map_points": page(VIEW),
    "monitoring:map_card": page(VIEW, pk="monitoring_point"),
    "monitoring:point_series": page(VIEW, pk="monitoring_point"),
}

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"


def in_scope(request) -> dict:
    from xiangzhi.monitoring import probing, services

    from .factories import PointFactory, ReservoirFactory

    admin = request.getfixturevalue("admin_user")
    village = request.getfixturevalue("village_a")
    reservoir = ReservoirFactory.create(actor=admin, village=village, code="SK-A", name="玉峰水库")
    point = PointFactory.create(
        actor=admin,
        village=village,
        code="CAM-A-001",
        name="玉峰水库大坝",
        reservoir=reservoir,
        latitude="29.701000",
        longitude="105.720000",
        stream_main_url="rtsp://admin:Secret-pw1@192.168.1.64:554/Streaming/Channels/101",
        responsible_name="王师傅",
        responsible_phone="13800138000",
    )
    shot = services.snapshot_store(actor=admin, point=point, image=JPEG)
    # the snapshot button's camera is on no network here: it gives the same frame at once
    request.getfixturevalue("monkeypatch").setattr(probing, "snapshot", lambda *args, **kwargs: JPEG)
    return {"monitoring_point": point, "monitoring_reservoir": reservoir, "monitoring_snapshot": shot}


def scanned_urls(objects) -> list[Scan]:
    point = objects["monitoring_point"]
    return [
        Scan("/monitoring/health/"),
        Scan("/monitoring/points/"),
        Scan(f"/monitoring/points/{point.pk}/"),
        Scan(f"/monitoring/points/{point.pk}/edit/"),
        Scan("/monitoring/reservoirs/"),
        Scan("/monitoring/map/"),
        Scan("/monitoring/map/points/"),
        Scan(f"/monitoring/map/points/{point.pk}/card/"),
    ]


def personal_numbers() -> set[str]:
    return {"13800138000"}
