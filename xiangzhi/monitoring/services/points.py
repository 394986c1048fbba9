"""The town administrator's writes: points, reservoirs, health policies, a status set by hand; snapshots stored."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.scoping import require
from xiangzhi.registry.idnumber import normalize_phone

from .. import conf
from .. import permissions as perms
from ..choices import PointStatus, SnapshotReason, TransitionReason
from ..models import HealthPolicy, Point, PointStatusChange, Reservoir, Snapshot

POINT_FIELDS = (
    "code",
    "name",
    "kind",
    "category",
    "public_area",
    "village",
    "latitude",
    "longitude",
    "reservoir",
    "forest_area",
    "stream_main_url",
    "stream_sub_url",
    "vendor",
    "device_model",
    "installed_on",
    "responsible",
    "responsible_name",
    "responsible_phone",
    "notes",
)
RESERVOIR_FIELDS = (
    "code",
    "name",
    "village",
    "flood_limit_level",
    "normal_pool_level",
    "design_flood_level",
    "dam_crest_elevation",
    "latitude",
    "longitude",
    "notes",
)
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """`rtsp://user:pass@host/path` → (`rtsp://host/path`, user, pass); a URL without them → (url, None, None)."""
    url = (url or "").strip()
    if not url:
        return "", None, None
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _sep, password = userinfo.partition(":")
    return (
        urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)),
        unquote(user),
        unquote(password),
    )


def _check_stream(url: str, field: str, errors: dict) -> None:
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("rtsp", "rtsps", "rtmp", "http", "https") or not parts.hostname:
        errors[field] = _("A stream address looks like rtsp://192.168.1.64:554/Streaming/Channels/101.")


def _check_place(data: dict, errors: dict) -> None:
    lat, lon = data.get("latitude"), data.get("longitude")
    if (lat is None) != (lon is None):
        errors["latitude"] = _("Give both the latitude and the longitude, or neither.")
    if lat is not None and not Decimal(-90) <= Decimal(lat) <= Decimal(90):
        errors["latitude"] = _("A latitude is between -90 and 90.")
    if lon is not None and not Decimal(-180) <= Decimal(lon) <= Decimal(180):
        errors["longitude"] = _("A longitude is between -180 and 180.")


def _check_town(actor, data: dict, errors: dict) -> None:
    village = data.get("village")
    if village is not None and village.town_id != actor.town_id:
        errors["village"] = _("Choose among your town's villages.")
    reservoir = data.get("reservoir")
    if reservoir is not None and reservoir.town_id != actor.town_id:
        errors["reservoir"] = _("Choose among your town's reservoirs.")
    responsible = data.get("responsible")
    if responsible is not None and responsible.town_id != actor.town_id:
        errors["responsible"] = _("Choose among your town's accounts.")


def _clean_point(actor, data: dict, *, instance: Point | None) -> dict:
    errors: dict[str, Any] = {}
    data = {k: v for k, v in data.items() if k in POINT_FIELDS}
    if "code" in data:
        data["code"] = (data["code"] or "").strip()
        if not _CODE.match(data["code"]):
            errors["code"] = _("A code has letters, digits, '-', '_' or '.', at most 32 characters.")
    for field in ("stream_main_url", "stream_sub_url"):
        if field in data:
            url, _user, _password = split_credentials(data[field])
            data[field] = url
            _check_stream(url, field, errors)
    if data.get("responsible_phone"):
        try:
            data["responsible_phone"] = normalize_phone(data["responsible_phone"])
        except ValidationError as exc:
            errors["responsible_phone"] = exc.messages
    for field in ("name", "notes", "responsible_name", "forest_area"):
        if has_personal_number(data.get(field)):
            errors[field] = _("Put phone and ID numbers in their own fields, not in this text.")
    merged = {f: getattr(instance, f) for f in ("latitude", "longitude")} if instance else {}
    merged.update({k: data[k] for k in ("latitude", "longitude") if k in data})
    _check_place(merged, errors)
    _check_town(actor, data, errors)
    if errors:
        raise ValidationError(errors)
    return data


def _credentials_from(
    fields: dict, username: str | None, password: str | None
) -> tuple[str | None, str | None]:
    """Credentials typed in the URL count as typed in their own fields (then the URL is stored without them)."""
    for field in ("stream_main_url", "stream_sub_url"):
        _url, user, pw = split_credentials(fields.get(field) or "")
        if user is not None and username is None:
            username, password = user, pw if password is None else password
    return username, password


@transaction.atomic
def point_create(
    *, actor, stream_username: str | None = None, stream_password: str | None = None, **fields: Any
) -> Point:
    """Add a monitoring point. The stream credentials are stored encrypted and never shown back."""
    require(actor, perms.CONFIGURE)
    username, password = _credentials_from(fields, stream_username, stream_password)
    data = _clean_point(actor, fields, instance=None)
    point = Point(town_id=actor.town_id, **data)
    point.stream_username = username or ""
    point.stream_password = password or ""
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError:
        raise ValidationError({"code": _("Another point of the town has this code.")}) from None
    audit_record(actor=actor, action="monitoring.point.create", target=point, after=snapshot(point))
    return point


@transaction.atomic
def point_update(
    *,
    actor,
    point: Point,
    stream_username: str | None = None,
    stream_password: str | None = None,
    clear_credentials: bool = False,
    **fields: Any,
) -> Point:
    """Change a point. A credential left None keeps the stored one (write-only fields); `clear_credentials`
    erases both."""
    require(actor, perms.CONFIGURE, point)
    point = Point.objects.restrict(actor, perms.CONFIGURE).select_for_update().get(pk=point.pk)
    before = snapshot(point)
    username, password = _credentials_from(fields, stream_username, stream_password)
    data = _clean_point(actor, fields, instance=point)
    for name, value in data.items():
        setattr(point, name, value)
    if clear_credentials:
        point.stream_username = point.stream_password = ""
    if username:
        point.stream_username = username
    if password:
        point.stream_password = password
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError:
        raise ValidationError({"code": _("Another point of the town has this code.")}) from None
    after = snapshot(point)
    if after != before or username or password:
        audit_record(actor=actor, action="monitoring.point.update", target=point, before=before, after=after)
    return point


@transaction.atomic
def point_status_set(*, actor, point: Point, status: str, note: str = "") -> Point:
    """Set a point's status by hand (a camera taken down for repair is offline until it reports again)."""
    require(actor, perms.CONFIGURE, point)
    if status not in (PointStatus.ONLINE, PointStatus.OFFLINE):
        raise ValidationError({"status": _("Set a point online or offline.")})
    point = Point.objects.restrict(actor, perms.CONFIGURE).select_for_update().get(pk=point.pk)
    if point.status == status:
        return point
    before = snapshot(point)
    now = timezone.now()
    change = PointStatusChange(
        town_id=point.town_id,
        point=point,
        from_status=point.status,
        to_status=status,
        at=now,
        reason=TransitionReason.MANUAL,
        detail=note[:200],
        actor=actor,
    )
    point.status, point.status_since, point.good_streak, point.bad_streak = status, now, 0, 0
    point.save(update_fields=["status", "status_since", "good_streak", "bad_streak"])
    change.save()
    audit_record(
        actor=actor, action="monitoring.point.status_set", target=point, before=before, after=snapshot(point)
    )
    return point


def _clean_reservoir(actor, data: dict, *, instance: Reservoir | None) -> dict:
    errors: dict[str, Any] = {}
    data = {k: v for k, v in data.items() if k in RESERVOIR_FIELDS}
    if "code" in data:
        data["code"] = (data["code"] or "").strip()
        if not _CODE.match(data["code"]):
            errors["code"] = _("A code has letters, digits, '-', '_' or '.', at most 32 characters.")
    merged = {f: getattr(instance, f) for f in RESERVOIR_FIELDS} if instance else {}
    merged.update(data)
    flood, normal, design, crest = (
        merged.get("flood_limit_level"),
        merged.get("normal_pool_level"),
        merged.get("design_flood_level"),
        merged.get("dam_crest_elevation"),
    )
    if flood is not None and normal is not None and flood > normal:
        errors["flood_limit_level"] = _("The flood-season limit level is at most the normal pool level.")
    if design is not None and crest is not None and design > crest:
        errors["design_flood_level"] = _("The design flood level is below the dam crest.")
    if normal is not None and design is not None and normal > design:
        errors["normal_pool_level"] = _("The normal pool level is at most the design flood level.")
    if has_personal_number(data.get("notes")) or has_personal_number(data.get("name")):
        errors["notes"] = _("Put phone and ID numbers in their own fields, not in this text.")
    _check_place(merged, errors)
    _check_town(actor, data, errors)
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def reservoir_create(*, actor, **fields: Any) -> Reservoir:
    require(actor, perms.CONFIGURE)
    reservoir = Reservoir(town_id=actor.town_id, **_clean_reservoir(actor, fields, instance=None))
    try:
        with transaction.atomic():
            reservoir.save()
    except IntegrityError:
        raise ValidationError({"code": _("Another reservoir of the town has this code.")}) from None
    audit_record(
        actor=actor, action="monitoring.reservoir.create", target=reservoir, after=snapshot(reservoir)
    )
    return reservoir


@transaction.atomic
def reservoir_update(*, actor, reservoir: Reservoir, **fields: Any) -> Reservoir:
    require(actor, perms.CONFIGURE, reservoir)
    reservoir = Reservoir.objects.restrict(actor, perms.CONFIGURE).select_for_update().get(pk=reservoir.pk)
    before = snapshot(reservoir)
    for name, value in _clean_reservoir(actor, fields, instance=reservoir).items():
        setattr(reservoir, name, value)
    try:
        with transaction.atomic():
            reservoir.save()
    except IntegrityError:
        raise ValidationError({"code": _("Another reservoir of the town has this code.")}) from None
    after = snapshot(reservoir)
    if after != before:
        audit_record(
            actor=actor, action="monitoring.reservoir.update", target=reservoir, before=before, after=after
        )
    return reservoir


@transaction.atomic
def policy_set(
    *,
    actor,
    kind: str,
    heartbeat_seconds: int,
    missed_count: int,
    probe_seconds: int = 0,
    min_state_seconds: int = 60,
    recover_after: int = 1,
) -> HealthPolicy:
    """Set how the town judges one kind of point's health."""
    require(actor, perms.CONFIGURE)
    errors = {}
    if not 5 <= heartbeat_seconds <= 86400:
        errors["heartbeat_seconds"] = _("Between 5 seconds and a day.")
    if not 1 <= missed_count <= 100:
        errors["missed_count"] = _("Between 1 and 100.")
    if not (probe_seconds == 0 or 10 <= probe_seconds <= 86400):
        errors["probe_seconds"] = _("0 (not probed), or between 10 seconds and a day.")
    if not 0 <= min_state_seconds <= 86400:
        errors["min_state_seconds"] = _("Between 0 seconds and a day.")
    if not 1 <= recover_after <= 100:
        errors["recover_after"] = _("Between 1 and 100.")
    if errors:
        raise ValidationError(errors)
    policy = HealthPolicy.objects.restrict(actor, perms.CONFIGURE).filter(kind=kind).first()
    before = snapshot(policy) if policy else None
    policy = policy or HealthPolicy(town_id=actor.town_id, kind=kind)
    policy.heartbeat_seconds, policy.missed_count, policy.probe_seconds = (
        heartbeat_seconds,
        missed_count,
        probe_seconds,
    )
    policy.min_state_seconds, policy.recover_after = min_state_seconds, recover_after
    policy.save()
    audit_record(
        actor=actor, action="monitoring.policy.set", target=policy, before=before, after=snapshot(policy)
    )
    return policy


@transaction.atomic
def snapshot_store(
    *,
    actor=None,
    point: Point,
    image: bytes,
    taken_at: datetime.datetime | None = None,
    reason: str = SnapshotReason.ON_DEMAND,
    width: int | None = None,
    height: int | None = None,
) -> Snapshot:
    """Keep one frame grabbed from `point`'s camera (the probe module grabs it) — at most
    XIANGZHI_SNAPSHOT_MAX_BYTES, and a JPEG or PNG. `actor` None: the platform's own (an alarm's, a schedule's),
    for a point the caller already read in scope."""
    if actor is not None:
        require(actor, perms.SNAPSHOT, point)
    if len(image) > conf.snapshot_max_bytes():
        raise ValidationError(
            _("The snapshot is larger than the limit of %(limit)d KB.")
            % {"limit": (conf.snapshot_max_bytes() + 999) // 1000}
        )
    if not (image.startswith(b"\xff\xd8") or image.startswith(b"\x89PNG")):
        raise ValidationError(_("A snapshot is a JPEG or PNG image."))
    shot = Snapshot(
        town_id=point.town_id,
        point=point,
        taken_at=taken_at or timezone.now(),
        size_bytes=len(image),
        width=width,
        height=height,
        reason=reason,
        taken_by=actor if isinstance(actor, get_user_model()) else None,
    )
    shot.image.save("snapshot.jpg", ContentFile(image), save=False)
    shot.save()
    audit_record(actor=actor, action="monitoring.snapshot.take", target=shot, after=snapshot(shot))
    return shot
