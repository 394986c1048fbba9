"""What the monitoring services record in the audit log. Stream credentials are never kept: only whether set."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model
from xiangzhi.core.masking import mask_phone

from .models import HealthPolicy, Point, Reservoir, Snapshot
from .services.points import POINT_FIELDS

register_action("monitoring.point.create", _("added a monitoring point"))
register_action("monitoring.point.update", _("changed a monitoring point"))
register_action("monitoring.point.status_set", _("set a monitoring point's status by hand"))
register_action("monitoring.reservoir.create", _("added a reservoir"))
register_action("monitoring.reservoir.update", _("changed a reservoir"))
register_action("monitoring.policy.set", _("set the health policy of a kind of point"))
register_action("monitoring.snapshot.take", _("grabbed a snapshot from a camera"))

register_model(
    Point,
    # what the administrator's form writes (less the free-text notes), and the status set by hand
    fields=(*(f for f in POINT_FIELDS if f != "notes"), "status"),
    masked={"responsible_phone": lambda v: mask_phone(v) if v else ""},
    computed={"stream_credentials": lambda p: "set" if p.has_stream_credentials else ""},
)
register_model(
    Reservoir,
    fields=(
        "code",
        "name",
        "village",
        "flood_limit_level",
        "normal_pool_level",
        "design_flood_level",
        "dam_crest_elevation",
        "latitude",
        "longitude",
    ),
)
register_model(
    HealthPolicy,
    fields=(
        "kind",
        "heartbeat_seconds",
        "missed_count",
        "probe_seconds",
        "min_state_seconds",
        "recover_after",
    ),
)
register_model(Snapshot, fields=("point", "taken_at", "size_bytes", "reason"))

register_action("monitoring.device_key.create", _("made a device key for a point"))
register_action("monitoring.device_key.rotate", _("replaced a point's device key"))
# gauges speaking SL 651-2014 (services/sl651.py)
register_action("monitoring.point.sl651_address_set", _("set a gauge's SL 651 station address"))
