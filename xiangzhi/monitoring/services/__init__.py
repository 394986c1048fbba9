"""The monitoring app's writes, by topic: the administrator's points and reservoirs (`points`), the health state
machine (`health`), readings and their rollups (`readings`), the daily summary (`summary`),
the RTSP probes and snapshots (`probes`)."""

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
from .readings import Value, readings_purge, readings_record, rollups_refresh
from .summary import daily_summaries_send

__all__ = [
    "Value",
    "daily_summaries_send",
    "point_create",
    "point_heartbeat",
    "point_probe_result",
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
    "reservoir_create",
    "reservoir_update",
    "rollups_refresh",
    "snapshot_store",
    "split_credentials",
]
