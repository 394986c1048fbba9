"""The map's geometry: the WGS-84 → GCJ-02 shift against published vectors, hulls and village outlines."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.monitoring.geo import centroid, convex_hull, out_of_china, outline, wgs84_to_gcj02

# (WGS-84) → (GCJ-02), the test vectors published with eviltransform (github.com/googollee/eviltransform,
# go/transform_test.go), which every port of the algorithm checks against.
PUBLISHED = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_gcj02_matches_the_published_vectors(wgs, gcj):
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9)
    assert lon == pytest.approx(gcj[1], abs=1e-9)


def test_gcj02_leaves_points_outside_china_alone():
    assert out_of_china(39.7392, -104.9903)
    assert wgs84_to_gcj02(39.7392, -104.9903) == (39.7392, -104.9903)  # Denver
    assert wgs84_to_gcj02(-27.4698, 153.0251) == (-27.4698, 153.0251)  # Brisbane


def test_gcj02_shift_in_dazu_is_a_few_hundred_metres():
    lat, lon = wgs84_to_gcj02(29.70, 105.72)  # 宝兴镇, 大足区
    metres = math.hypot((lat - 29.70) * 111_000, (lon - 105.72) * 111_000 * math.cos(math.radians(29.7)))
    assert 200 < metres < 700


def test_convex_hull_drops_inner_points_and_turns_counter_clockwise():
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert convex_hull([*square, (1, 1), (1, 0), (0, 0)]) == [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert convex_hull([(1, 1), (1, 1)]) == [(1, 1)]


@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=3, max_size=60))
def test_every_point_lies_inside_or_on_the_hull(points):
    hull = convex_hull(points)
    if len(hull) < 3:
        return
    for p in points:
        for a, b in zip(hull, hull[1:] + hull[:1], strict=True):
            assert (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0


def test_an_outline_encloses_its_places_and_no_corner_is_a_house():
    houses = [(29.7012, 105.7203), (29.7055, 105.7261), (29.6987, 105.7299), (29.7031, 105.7240)]
    ring = outline(houses)
    assert len(ring) >= 3
    assert not set(ring) & set(houses)
    for lat, lon in houses:  # inside: on the left of every counter-clockwise edge (x = lat, y = lon)
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
            assert (b[0] - a[0]) * (lon - a[1]) - (b[1] - a[1]) * (lat - a[0]) >= 0
    c = centroid(ring)
    assert c is not None
    assert 29.69 < c[0] < 29.71 and 105.71 < c[1] < 105.74


def test_an_outline_of_one_place_is_a_square_around_it():
    ring = outline([(29.7, 105.7)])
    assert len(ring) == 4
    assert min(p[0] for p in ring) < 29.7 < max(p[0] for p in ring)
    assert outline([]) == [] and centroid([]) is None
