"""The health state machine: a point is never seen until its first sign of life, online while heartbeats or good
probes keep coming, offline after its kind's policy of missed ones, and back online on the next good one. Every
transition is a `PointStatusChange` row. Flapping is damped by the policy: no transition before the current state
has lasted `min_state_seconds`, and an offline point needs `recover_after` good signs in a row.

These functions are called by the ingest adapters (HTTP, MQTT, SL 651) after they authenticated a device and read
its point through `restrict(device, INGEST)`, and by the probe runner: they take no actor and write no audit row
(a heartbeat every minute from 1,000 cameras is not an audit event — its transitions are the history).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from ..choices import PointStatus, TransitionReason
from ..models import DEFAULT_POLICIES, HealthPolicy, Point, PointStatusChange, default_policy

_ON, _OFF, _NEVER = PointStatus.ONLINE, PointStatus.OFFLINE, PointStatus.NEVER_SEEN


def policy_for(point: Point) -> HealthPolicy:
    found = (
        HealthPolicy.objects.unrestricted("the point's own town's policy, read by the health machine")
        .filter(town_id=point.town_id, kind=point.kind)
        .first()
    )
    return found or default_policy(point.town_id, point.kind)


def policies_by_kind(town_id: int) -> dict[str, HealthPolicy]:
    """Every kind's policy for one town (its rows, else the defaults)."""
    rows = {
        p.kind: p
        for p in HealthPolicy.objects.unrestricted("a town's policies, read by the health machine").filter(
            town_id=town_id
        )
    }
    return {kind: rows.get(kind) or default_policy(town_id, kind) for kind in DEFAULT_POLICIES}


def _transition(point: Point, to: str, at: datetime.datetime, reason: str, detail: str = "", actor=None):
    change = PointStatusChange(
        town_id=point.town_id,
        point=point,
        from_status=point.status,
        to_status=to,
        at=at,
        reason=reason,
        detail=detail[:200],
        actor=actor,
    )
    point.status = to
    point.status_since = at
    return change


def _dwelt(point: Point, policy: HealthPolicy, at: datetime.datetime) -> bool:
    return at - point.status_since >= datetime.timedelta(seconds=policy.min_state_seconds)


def _locked(point: Point) -> Point:
    return (
        Point.objects.unrestricted("the point the caller already holds, locked for its transition")
        .select_for_update()
        .get(pk=point.pk)
    )


def _good(point: Point, at: datetime.datetime, reason: str, detail: str = "") -> PointStatusChange | None:
    """A sign of life (a heartbeat, a reading, a good probe) at `at`."""
    policy = policy_for(point)
    if point.last_seen_at is None or at > point.last_seen_at:
        point.last_seen_at = at
    point.good_streak += 1
    point.bad_streak = 0
    change = None
    first = point.status == _NEVER
    recovered = (
        point.status == _OFF and point.good_streak >= policy.recover_after and _dwelt(point, policy, at)
    )
    if first or recovered:
        change = _transition(point, _ON, at, reason, detail)
    point.save(
        update_fields=[
            "last_seen_at",
            "good_streak",
            "bad_streak",
            "status",
            "status_since",
            "last_probe_at",
            "last_probe_detail",
        ]
    )
    if change is not None:
        change.save()
    return change


@transaction.atomic
def point_heartbeat(
    *,
    point: Point,
    at: datetime.datetime | None = None,
    source: str = TransitionReason.HEARTBEAT,
    detail: str = "",
) -> Point:
    """The point said it is alive (a heartbeat, or any reading it sent) at `at` (now by default)."""
    at = at or timezone.now()
    locked = _locked(point)
    _good(locked, at, source, detail)
    return locked


@transaction.atomic
def point_probe_result(
    *, point: Point, ok: bool, at: datetime.datetime | None = None, detail: str = ""
) -> Point:
    """The platform probed the point's stream at `at`: `ok` or not, with what it found (codec and size, or the
    error). `missed_count` failed probes in a row take an online point offline (a heartbeat in between resets
    the count: the device is alive)."""
    at = at or timezone.now()
    locked = _locked(point)
    locked.last_probe_at = at
    locked.last_probe_detail = detail[:200]
    if ok:
        _good(locked, at, TransitionReason.PROBE, detail)
        return locked
    policy = policy_for(locked)
    locked.bad_streak += 1
    locked.good_streak = 0
    change = None
    if locked.status == _ON and locked.bad_streak >= policy.missed_count and _dwelt(locked, policy, at):
        change = _transition(locked, _OFF, at, TransitionReason.PROBE, detail)
    locked.save(
        update_fields=[
            "bad_streak",
            "good_streak",
            "status",
            "status_since",
            "last_probe_at",
            "last_probe_detail",
        ]
    )
    if change is not None:
        change.save()
    return locked


def points_seen(
    *, point_ids: Iterable[int], at: datetime.datetime | None = None, source: str = TransitionReason.HEARTBEAT
) -> int:
    """A batch of heartbeats at one time (an ingest batch): one UPDATE for the points already online, the state
    machine one by one for the few that are not. Returns how many transitions were made."""
    at = at or timezone.now()
    ids = sorted(set(point_ids))
    if not ids:
        return 0
    points = Point.objects.unrestricted("points whose devices the ingest authenticated")
    with transaction.atomic():
        points.filter(pk__in=ids, status=_ON).update(
            last_seen_at=Greatest(F("last_seen_at"), at), good_streak=F("good_streak") + 1, bad_streak=0
        )
        others = list(points.filter(pk__in=ids).exclude(status=_ON).values_list("pk", flat=True))
    made = 0
    for pk in others:
        with transaction.atomic():
            locked = points.select_for_update().get(pk=pk)
            made += _good(locked, at, source) is not None
    return made


def _silent_where(now: datetime.datetime) -> Q:
    """Online points silent for longer than their kind's policy allows, and in their state long enough: one
    condition per (town with its own policy, kind) and one per kind for every other town."""
    rows = list(HealthPolicy.objects.unrestricted("every town's policies, for the sweep"))
    custom: dict[str, list[HealthPolicy]] = {}
    for row in rows:
        custom.setdefault(row.kind, []).append(row)
    where = Q()
    for kind in DEFAULT_POLICIES:
        default = default_policy(0, kind)
        own = custom.get(kind, [])
        for policy in own:
            where |= Q(
                town_id=policy.town_id,
                kind=kind,
                last_seen_at__lt=now - policy.silence,
                status_since__lte=now - datetime.timedelta(seconds=policy.min_state_seconds),
            )
        where |= Q(
            kind=kind,
            last_seen_at__lt=now - default.silence,
            status_since__lte=now - datetime.timedelta(seconds=default.min_state_seconds),
        ) & ~Q(town_id__in=[p.town_id for p in own])
    return where


def points_sweep(*, now: datetime.datetime | None = None, chunk: int = 2000) -> int:
    """Mark offline every online point that missed its policy's heartbeats — set-based: a read of the policies,
    then per chunk of silent points one locked read, one UPDATE and one INSERT of their status-change rows."""
    now = now or timezone.now()
    where = _silent_where(now)
    points = Point.objects.unrestricted("the sweep covers every town's points")
    marked = 0
    while True:
        with transaction.atomic():
            silent = list(
                points.select_for_update()
                .filter(where, status=_ON)
                .order_by("pk")
                .values_list("pk", "town_id")[:chunk]
            )
            if not silent:
                return marked
            ids = [pk for pk, _t in silent]
            points.filter(pk__in=ids, status=_ON).update(status=_OFF, status_since=now, good_streak=0)
            PointStatusChange.objects.bulk_create(
                PointStatusChange(
                    town_id=town_id,
                    point_id=pk,
                    from_status=_ON,
                    to_status=_OFF,
                    at=now,
                    reason=TransitionReason.MISSED,
                )
                for pk, town_id in silent
            )
            marked += len(silent)
        if len(silent) < chunk:
            return marked
