"""The monitoring app's writes, by topic: the administrator's points and reservoirs (`points`), the health state
machine (`health`), readings and their rollups (`readings`), the daily summary (`summary`), SL 651 gauges'
addresses (`sl651`), the RTSP probes and snapshots (`probes`)."""

from .devices import device_key_rotate, signatures_purge
from .health import (
    point_heartbeat,
    point_probe_result,
    points_seen,
    points_sweep,
    policies_by_kind,
    policy_for,
)
from .points import (
    point_create,
    point_status_set,
    point_update,
    policy_set,
    reservoir_create,
    reservoir_update,
    snapshot_store,
    split_credentials,
)
from .probes import point_snapshot_take, points_due_for_probe, points_probe, probe_detail_text
from .readings import Value, readings_purge, readings_record, readings_record_many, rollups_refresh
from .sl651 import point_sl651_address_set
from .summary import daily_summaries_send

__all__ = [
    "Value",
    "daily_summaries_send",
    "device_key_rotate",
    "point_create",
    "point_heartbeat",
    "point_probe_result",
    "point_sl651_address_set",
    "point_snapshot_take",
    "point_status_set",
    "point_update",
    "points_due_for_probe",
    "points_probe",
    "points_seen",
    "points_sweep",
    "policies_by_kind",
    "policy_for",
    "policy_set",
    "probe_detail_text",
    "readings_purge",
    "readings_record",
    "readings_record_many",
    "reservoir_create",
    "reservoir_update",
    "rollups_refresh",
    "signatures_purge",
    "snapshot_store",
    "split_credentials",
]
