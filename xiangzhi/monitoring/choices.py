"""The monitoring network's fixed vocabularies: what a point is, where it stands, how it is doing."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PointKind(models.TextChoices):
    CAMERA = "camera", _("camera")
    WATER_LEVEL = "water_level", _("water-level gauge")
    RAIN = "rain", _("rain gauge")
    WATER_QUALITY = "water_quality", _("water-quality station")
    WEATHER = "weather", _("weather station")
    OTHER = "other", _("other device")


class PointCategory(models.TextChoices):
    RESERVOIR_SPILLWAY = "reservoir_spillway", _("reservoir spillway")
    DAM = "dam", _("dam")
    RESERVOIR_SHORE = "reservoir_shore", _("reservoir shore")
    FOREST_FIRE = "forest_fire", _("forest-fire point")
    TOWN_CENTRE = "town_centre", _("town centre")
    SCHOOL = "school", _("school")
    RURAL_ROAD = "rural_road", _("rural road")
    COURTYARD = "courtyard", _("courtyard")
    OTHER = "other", _("other place")


class PointStatus(models.TextChoices):
    NEVER_SEEN = "never_seen", _("never seen")
    ONLINE = "online", _("online")
    OFFLINE = "offline", _("offline")


class TransitionReason(models.TextChoices):
    HEARTBEAT = "heartbeat", _("heartbeat")
    PROBE = "probe", _("stream probe")
    MISSED = "missed", _("missed heartbeats")
    MANUAL = "manual", _("set by hand")


class Quantity(models.TextChoices):
    """What a reading measures; the unit is fixed per quantity (UNITS)."""

    WATER_LEVEL = "water_level", _("water level")
    RAINFALL = "rainfall", _("rainfall")
    PH = "ph", _("pH")
    TURBIDITY = "turbidity", _("turbidity")
    DISSOLVED_OXYGEN = "dissolved_oxygen", _("dissolved oxygen")
    AMMONIA_NITROGEN = "ammonia_nitrogen", _("ammonia nitrogen")
    TOTAL_PHOSPHORUS = "total_phosphorus", _("total phosphorus")
    WATER_TEMPERATURE = "water_temperature", _("water temperature")
    BATTERY_VOLTAGE = "battery_voltage", _("battery voltage")


UNITS: dict[str, str] = {
    Quantity.WATER_LEVEL: "m",
    Quantity.RAINFALL: "mm",
    Quantity.PH: "",
    Quantity.TURBIDITY: "NTU",
    Quantity.DISSOLVED_OXYGEN: "mg/L",
    Quantity.AMMONIA_NITROGEN: "mg/L",
    Quantity.TOTAL_PHOSPHORUS: "mg/L",
    Quantity.WATER_TEMPERATURE: "°C",
    Quantity.BATTERY_VOLTAGE: "V",
}

# Rainfall adds up over a bucket; every other quantity is a level (its rollup's meaningful figure is the mean).
CUMULATIVE = frozenset({Quantity.RAINFALL})


class SnapshotReason(models.TextChoices):
    ON_DEMAND = "on_demand", _("on demand")
    ALARM = "alarm", _("alarm")
    SCHEDULED = "scheduled", _("scheduled")
