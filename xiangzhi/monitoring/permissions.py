"""Who reads the monitoring network, who configures it, and what a device may write (its own point only)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.extensions import register_demo_step, register_tile
from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G, _D = Level.TOWN, Level.VILLAGE, Level.GROUPS, Level.DEVICE

_READ = (
    "monitoring.Point",
    "monitoring.Reservoir",
    "monitoring.PointStatusChange",
    "monitoring.Reading",
    "monitoring.ReadingHourly",
    "monitoring.ReadingDaily",
    "monitoring.Snapshot",
    "monitoring.HealthPolicy",
    "areas.Village",
)

VIEW = register(
    "monitoring.view",
    _("read the monitoring points, their health, readings and snapshots"),
    grants={Role.TOWN_ADMIN: _T, Role.DUTY: _T, Role.CADRE: _V, Role.GRID: _G},
    models=_READ,
)
CONFIGURE = register(
    "monitoring.configure",
    _("add and edit monitoring points, reservoirs and health policies"),
    grants={Role.TOWN_ADMIN: _T},
    models=(
        "monitoring.Point",
        "monitoring.Reservoir",
        "monitoring.HealthPolicy",
        "areas.Village",
        settings.AUTH_USER_MODEL,
    ),
)
SNAPSHOT = register(
    "monitoring.snapshot",
    _("grab a snapshot from a camera"),
    grants={Role.TOWN_ADMIN: _T, Role.DUTY: _T, Role.CADRE: _V},
    models=("monitoring.Point", "monitoring.Snapshot"),
)
INGEST = register(
    "monitoring.ingest",
    _("send heartbeats and readings for its own point"),
    grants={Role.DEVICE: _D},
    models=("monitoring.Point", "monitoring.Reading", "monitoring.PointStatusChange", "monitoring.Snapshot"),
)


def _offline_count(*, user, village_id=None, group_id=None) -> int:
    from .choices import PointStatus
    from .models import Point

    qs = Point.objects.restrict(user, VIEW).filter(status=PointStatus.OFFLINE)
    return qs.filter(village_id=village_id).count() if village_id else qs.count()


register_tile(_("Points offline"), "monitoring:health", action=VIEW, count=_offline_count)


def _demo(**kwargs):
    from .demo import demo_monitoring

    return demo_monitoring(**kwargs)


register_demo_step(_demo)
