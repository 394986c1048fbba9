"""The monitoring network: reservoirs, the points that watch them and the rest of the town (cameras and gauges),
each point's health and its history, the readings it sends and their hourly and daily rollups, snapshots.

A point or reservoir with no village is the town's own (the town centre, a reservoir across villages): every role
that may read points reads it, so a village cadre sees their village's points *and* the town-wide ones
(`TownWideQuerySet`). A device principal (Level.DEVICE, `assignment.object_id` = the point's pk) reaches only its
own point and that point's rows.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiangzhi.core.fields import EncryptedCharField
from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.permissions import Level, reach
from xiangzhi.core.scoping import RestrictedQuerySet, Scope

from .choices import (
    PointCategory,
    PointKind,
    PointStatus,
    Quantity,
    SnapshotReason,
    TransitionReason,
)


class TownWideQuerySet(RestrictedQuerySet):
    """`restrict()` that also lets a village- or group-level grant read the rows whose village is null: a
    town-wide point belongs to every village of the town. A device grant does not: it reaches its point only."""

    def restrict(self, user, action: str):
        qs = super().restrict(user, action)
        scope: Scope = self.model.scope
        r = reach(user, action)
        if r is None or r.whole_town or not scope.village:
            return qs
        if r.parts.get(Level.VILLAGE) or r.parts.get(Level.GROUPS):
            town_wide = self.filter(**{scope.town: r.town_id, f"{scope.village}__isnull": True})
            return qs | town_wide
        return qs


TownWideManager = models.Manager.from_queryset(TownWideQuerySet)


def private_storage():
    """Snapshots can show people's courtyards: outside the web root, served only through a view."""
    return storages["private"]


class Reservoir(TownScopedModel):
    """A reservoir (水库) and its characteristic levels, in metres above the gauge's datum."""

    village = models.ForeignKey(
        "areas.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village (empty: the whole town)"),
    )
    name = models.CharField(pgettext_lazy("of a place or a flag", "name"), max_length=60)
    code = models.CharField(_("reservoir code"), max_length=32)
    flood_limit_level = models.DecimalField(
        _("flood-season limit level (汛限水位, m)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    normal_pool_level = models.DecimalField(
        _("normal pool level (正常蓄水位, m)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    design_flood_level = models.DecimalField(
        _("design flood level (设计洪水位, m)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    dam_crest_elevation = models.DecimalField(
        _("dam crest elevation (坝顶高程, m)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("latitude (WGS-84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude (WGS-84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = TownWideManager()  # type: ignore[misc]  # a subclass of the base manager
    scope = Scope(town="town", village="village")

    class Meta:
        verbose_name = _("reservoir (水库)")
        verbose_name_plural = _("reservoirs")
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["town", "code"], name="reservoir_code_per_town")]

    def __str__(self):
        return self.name


class Point(TownScopedModel):
    """A monitoring point (监测点位): a camera or a gauge at one place, and its health."""

    code = models.CharField(_("point code"), max_length=32)
    name = models.CharField(pgettext_lazy("of a place or a flag", "name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=PointKind.choices, default=PointKind.CAMERA)
    category = models.CharField(
        _("category"), max_length=24, choices=PointCategory.choices, default=PointCategory.OTHER
    )
    public_area = models.BooleanField(_("public-area monitoring point"), default=False)
    village = models.ForeignKey(
        "areas.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village (empty: the whole town)"),
    )
    # WGS-84 as the GPS gives it; converted to GCJ-02 only to draw on a Chinese base map
    latitude = models.DecimalField(
        _("latitude (WGS-84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude (WGS-84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    reservoir = models.ForeignKey(
        Reservoir,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points",
        verbose_name=_("reservoir watched"),
    )
    forest_area = models.CharField(_("forest area watched"), max_length=60, blank=True)
    # Stream URLs are kept without credentials (rtsp://host:554/path); the username and password are encrypted
    # and never shown back — `Point.stream_url_with_credentials` builds the full URL only for a probe.
    stream_main_url = models.CharField(_("main stream (RTSP)"), max_length=300, blank=True)
    stream_sub_url = models.CharField(_("sub stream (RTSP)"), max_length=300, blank=True)
    stream_username = EncryptedCharField(_("stream username"), blank=True, default="")
    stream_password = EncryptedCharField(_("stream password"), blank=True, default="")
    vendor = models.CharField(_("vendor"), max_length=60, blank=True)
    device_model = models.CharField(_("model"), max_length=60, blank=True)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person (account)"),
    )
    # someone without an account (the school's caretaker): texted the daily summary at this number
    responsible_name = models.CharField(_("responsible person"), max_length=60, blank=True)
    responsible_phone = EncryptedCharField(_("responsible person's phone"), blank=True, default="")
    notes = models.TextField(_("notes"), blank=True)

    # health, kept by services.point_heartbeat / point_probe_result / points_sweep
    status = models.CharField(
        _("status"), max_length=16, choices=PointStatus.choices, default=PointStatus.NEVER_SEEN
    )
    status_since = models.DateTimeField(_("status since"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_probe_at = models.DateTimeField(_("last probed"), null=True, blank=True)
    last_probe_detail = models.CharField(_("last probe's result"), max_length=200, blank=True)
    good_streak = models.PositiveIntegerField(_("consecutive good signs"), default=0)
    bad_streak = models.PositiveIntegerField(_("consecutive failed probes"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TownWideManager()  # type: ignore[misc]  # a subclass of the base manager
    scope = Scope(town="town", village="village", device="pk")

    class Meta:
        verbose_name = _("monitoring point (监测点位)")
        verbose_name_plural = _("monitoring points")
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["town", "code"], name="point_code_per_town")]
        indexes = [
            models.Index(fields=["town", "status", "kind"], name="point_town_status_kind"),
            models.Index(fields=["town", "category"], name="point_town_category"),
            models.Index(fields=["town", "village"], name="point_town_village"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def has_stream(self) -> bool:
        return bool(self.stream_main_url or self.stream_sub_url)

    @property
    def has_stream_credentials(self) -> bool:
        return bool(self.stream_username or self.stream_password)

    def stream_url_with_credentials(self, which: str = "main") -> str:
        """The RTSP URL with the credentials in it — for a probe or a snapshot only, never for a page."""
        from urllib.parse import quote, urlsplit, urlunsplit

        url = self.stream_sub_url if which == "sub" and self.stream_sub_url else self.stream_main_url
        if not url or not self.has_stream_credentials:
            return url
        parts = urlsplit(url)
        userinfo = quote(self.stream_username, safe="")
        if self.stream_password:
            userinfo += ":" + quote(self.stream_password, safe="")
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))

    def offline_for(self, now: datetime.datetime | None = None) -> datetime.timedelta | None:
        if self.status != PointStatus.OFFLINE:
            return None
        return (now or timezone.now()) - self.status_since


class HealthPolicy(TownScopedModel):
    """How a town judges the health of one kind of point. Without a row, `DEFAULT_POLICIES` apply."""

    kind = models.CharField(_("kind"), max_length=16, choices=PointKind.choices)
    heartbeat_seconds = models.PositiveIntegerField(_("heartbeat interval (seconds)"))
    missed_count = models.PositiveSmallIntegerField(_("missed heartbeats or probes before offline"))
    probe_seconds = models.PositiveIntegerField(
        _("probe interval (seconds, 0: not probed)"), default=0, blank=True
    )
    # damping: no transition before the current state has lasted this long …
    min_state_seconds = models.PositiveIntegerField(_("minimum time in a state (seconds)"), default=60)
    # … and an offline point comes back only after this many good signs in a row
    recover_after = models.PositiveSmallIntegerField(_("good signs in a row to come back online"), default=1)

    scope = Scope(town="town", town_wide=True)

    class Meta:
        verbose_name = _("health policy")
        verbose_name_plural = _("health policies")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["town", "kind"], name="health_policy_per_kind"),
            models.CheckConstraint(
                condition=Q(heartbeat_seconds__gte=5) & Q(missed_count__gte=1) & Q(recover_after__gte=1),
                name="health_policy_sane",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    @property
    def silence(self) -> datetime.timedelta:
        """How long a point may stay silent before the sweep marks it offline: `missed_count` of the longer of
        its heartbeat and probe intervals (a camera the platform probes but that never heartbeats stays up)."""
        return datetime.timedelta(seconds=self.missed_count * max(self.heartbeat_seconds, self.probe_seconds))


# Sane defaults: cameras heartbeat every minute and are probed every two; gauges report every 5 minutes (SL 651
# equal-interval reports) and keepalive; three misses make a point offline; a point stays a minute in a state.
DEFAULT_POLICIES: dict[str, dict[str, int]] = {
    PointKind.CAMERA: {"heartbeat_seconds": 60, "missed_count": 3, "probe_seconds": 120},
    PointKind.WATER_LEVEL: {"heartbeat_seconds": 300, "missed_count": 3, "probe_seconds": 0},
    PointKind.RAIN: {"heartbeat_seconds": 300, "missed_count": 3, "probe_seconds": 0},
    PointKind.WATER_QUALITY: {"heartbeat_seconds": 600, "missed_count": 3, "probe_seconds": 0},
    PointKind.WEATHER: {"heartbeat_seconds": 300, "missed_count": 3, "probe_seconds": 0},
    PointKind.OTHER: {"heartbeat_seconds": 300, "missed_count": 3, "probe_seconds": 0},
}


def default_policy(town_id: int, kind: str) -> HealthPolicy:
    """The policy a kind has when its town set none (unsaved)."""
    return HealthPolicy(
        town_id=town_id, kind=kind, min_state_seconds=60, recover_after=1, **DEFAULT_POLICIES[kind]
    )


class PointStatusChange(TownScopedModel):
    """One transition of a point's status — the history is rows, not a flag (never edited)."""

    point = models.ForeignKey(
        Point, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("point")
    )
    from_status = models.CharField(_("from"), max_length=16, choices=PointStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=PointStatus.choices)
    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=16, choices=TransitionReason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )

    objects = TownWideManager()  # type: ignore[misc]  # a subclass of the base manager
    scope = Scope(town="town", village="point__village", device="point")

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["point", "-at"], name="status_change_point_at")]

    def __str__(self):
        return f"{self.point_id} {self.from_status}→{self.to_status} {self.at:%Y-%m-%d %H:%M}"


class Reading(TownScopedModel):
    """One measured value at one time; a duplicate (same point, quantity and time) is dropped on insert."""

    id = models.BigAutoField(primary_key=True)
    point = models.ForeignKey(Point, on_delete=models.CASCADE, related_name="+", verbose_name=_("point"))
    quantity = models.CharField(_("quantity"), max_length=24, choices=Quantity.choices)
    at = models.DateTimeField(_("measured at"))
    value = models.FloatField(_("value"))

    objects = TownWideManager()  # type: ignore[misc]  # a subclass of the base manager
    scope = Scope(town="town", village="point__village", device="point")

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["point", "quantity", "at"], name="reading_once_per_time")
        ]

    def __str__(self):
        return f"{self.point_id} {self.quantity} {self.at:%Y-%m-%d %H:%M} {self.value}"


class ReadingRollup(TownScopedModel):
    """A bucket of readings of one quantity of one point (kept by services.rollups_update from the raw rows)."""

    point = models.ForeignKey(Point, on_delete=models.CASCADE, related_name="+", verbose_name=_("point"))
    quantity = models.CharField(_("quantity"), max_length=24, choices=Quantity.choices)
    bucket = models.DateTimeField(_("from"))
    count = models.PositiveIntegerField(_("count"))
    min = models.FloatField(_("minimum"))
    max = models.FloatField(_("maximum"))
    sum = models.FloatField(_("sum"))
    last = models.FloatField(_("last value"))
    last_at = models.DateTimeField(_("last measured at"))

    objects = TownWideManager()  # type: ignore[misc]  # a subclass of the base manager
    scope = Scope(town="town", village="point__village", device="point")

    class Meta:
        abstract = True
        ordering = ["bucket"]

    @property
    def avg(self) -> float:
        return self.sum / self.count if self.count else 0.0


class ReadingHourly(ReadingRollup):
    class Meta(ReadingRollup.Meta):
        verbose_name = _("hourly rollup")
        verbose_name_plural = _("hourly rollups")
        constraints = [
            models.UniqueConstraint(fields=["point", "quantity", "bucket"], name="reading_hourly_bucket")
        ]


class ReadingDaily(ReadingRollup):
    class Meta(ReadingRollup.Meta):
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(fields=["point", "quantity", "bucket"], name="reading_daily_bucket")
        ]


def _snapshot_path(instance: Snapshot, filename: str) -> str:
    import uuid

    return f"monitoring/snapshots/{instance.town_id}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


class Snapshot(TownScopedModel):
    """One frame grabbed from a camera (on demand, or when an alarm is raised), ≤ XIANGZHI_SNAPSHOT_MAX_BYTES."""

    point = models.ForeignKey(
        Point, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("point")
    )
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    image = models.FileField(_("image"), storage=private_storage, upload_to=_snapshot_path)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    reason = models.CharField(
        _("reason"), max_length=16, choices=SnapshotReason.choices, default=SnapshotReason.ON_DEMAND
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )

    objects = TownWideManager()  # type: ignore[misc]  # a subclass of the base manager
    scope = Scope(town="town", village="point__village", device="point")

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["point", "-taken_at"], name="snapshot_point_taken")]

    def __str__(self):
        return f"{self.point_id} {self.taken_at:%Y-%m-%d %H:%M}"
