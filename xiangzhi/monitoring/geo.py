"""Plane geometry for the map, in pure Python: WGS-84 → GCJ-02 for Chinese base maps, and village outlines.

Coordinates are stored in WGS-84 (what a GPS and SL 651 stations report). Base maps of Gaode/Amap and Tencent are
drawn in GCJ-02, an offset of a few hundred metres; a point is shifted only to be drawn on such a map, never
stored shifted. (天地图 uses CGCS2000, which is WGS-84 to within centimetres: it needs no shift.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Krasovsky 1940, as the published GCJ-02 algorithm uses it
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    """The published algorithm leaves points outside this box unshifted (GCJ-02 is defined for China only)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in WGS-84 → (lat, lon) in GCJ-02, by the standard published transform (eviltransform,
    coordtransform); outside China unchanged."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def convex_hull(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of (x, y) points, counter-clockwise, without repeating the first point (Andrew's monotone
    chain, O(n log n)); fewer than three distinct points come back as they are."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


# Outlines are drawn from coordinates snapped to this grid (about 110 m of latitude) and pushed out by a margin:
# no corner of a village's outline is a household's own position.
GRID = 0.001
MARGIN = 0.0015


def outline(coords: Iterable[tuple[float, float]], *, grid: float = GRID, margin: float = MARGIN):
    """A village's outline from the (lat, lon) of its households and points: the convex hull of the coordinates
    snapped to `grid`, each corner pushed `margin` degrees away from the centre (a rough buffer, so the outermost
    houses fall inside and no corner sits on one). Fewer than three distinct places: a square around them.
    Returns a ring of (lat, lon) rounded to 5 decimals, or [] without coordinates."""
    snapped = {(round(lat / grid) * grid, round(lon / grid) * grid) for lat, lon in coords}
    if not snapped:
        return []
    hull = convex_hull(snapped)
    if len(hull) < 3:
        lats = [p[0] for p in hull]
        lons = [p[1] for p in hull]
        lo_lat, hi_lat = min(lats) - margin, max(lats) + margin
        lo_lon, hi_lon = min(lons) - margin, max(lons) + margin
        square = [(lo_lat, lo_lon), (lo_lat, hi_lon), (hi_lat, hi_lon), (hi_lat, lo_lon)]
        return [(round(lat, 5), round(lon, 5)) for lat, lon in square]
    c_lat = sum(p[0] for p in hull) / len(hull)
    c_lon = sum(p[1] for p in hull) / len(hull)
    ring = []
    for lat, lon in hull:
        d_lat, d_lon = lat - c_lat, lon - c_lon
        length = math.hypot(d_lat, d_lon) or 1.0
        ring.append((round(lat + margin * d_lat / length, 5), round(lon + margin * d_lon / length, 5)))
    return ring


def centroid(ring: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Where a village's name is written: the area centroid of its outline (the mean of its corners for a
    degenerate one)."""
    if not ring:
        return None
    area = c_lat = c_lon = 0.0
    for (y0, x0), (y1, x1) in zip(ring, ring[1:] + ring[:1], strict=True):
        f = x0 * y1 - x1 * y0
        area += f
        c_lon += (x0 + x1) * f
        c_lat += (y0 + y1) * f
    if abs(area) < 1e-12:
        return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
    area *= 3.0
    return (round(c_lat / area, 5), round(c_lon / area, 5))
