"""Coordinate conversion against published reference points and the haversine distance."""

import pytest

from wushe.volunteers import geo

# wandergis/coordtransform README (the reference implementation most Chinese code copies):
# input (lng 116.404, lat 39.915) in each direction.
POINT = (39.915, 116.404)


def close_m(a, b, metres):
    return geo.haversine_m(a[0], a[1], b[0], b[1]) <= metres


def test_wgs84_to_gcj02_matches_the_reference_exactly():
    lat, lng = geo.wgs84_to_gcj02(*POINT)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)
    assert lng == pytest.approx(116.41024449916938, abs=1e-9)


def test_gcj02_and_bd09_conversions_match_the_reference():
    assert geo.gcj02_to_bd09(*POINT) == pytest.approx((39.92133699351021, 116.41036949371029))
    assert geo.bd09_to_gcj02(*POINT) == pytest.approx((39.90865673957631, 116.39762729119315))


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        # googollee/eviltransform test points (WGS-84 → GCJ-02): Shanghai, Shenzhen, Beijing.
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
        ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ],
)
def test_known_points_both_ways_within_a_metre(wgs, gcj):
    assert close_m(geo.wgs84_to_gcj02(*wgs), gcj, 0.01)
    # The inverse has no closed form: iterated, it lands within a few millimetres.
    assert close_m(geo.gcj02_to_wgs84(*gcj), wgs, 0.05)


def test_gcj02_inverse_agrees_with_the_published_one_step_approximation_within_2_m():
    # coordtransform's gcj02towgs84(116.404, 39.915) is a one-step approximation.
    assert close_m(geo.gcj02_to_wgs84(*POINT), (39.91359571849836, 116.39775550083061), 2)


def test_haining_offsets_are_hundreds_of_metres_and_round_trip():
    haining = (30.5110, 120.6880)
    gcj = geo.wgs84_to_gcj02(*haining)
    bd = geo.wgs84_to_bd09(*haining)
    assert 300 < geo.haversine_m(*haining, *gcj) < 800
    assert close_m(geo.to_wgs84(*gcj, "gcj02"), haining, 0.05)
    assert close_m(geo.to_wgs84(*bd, "bd09"), haining, 0.1)
    assert geo.to_wgs84(*haining, "wgs84") == haining


def test_points_outside_china_are_not_shifted():
    london = (51.5074, -0.1278)
    assert geo.wgs84_to_gcj02(*london) == london
    assert geo.gcj02_to_wgs84(*london) == london


def test_unknown_system_is_refused():
    with pytest.raises(ValueError):
        geo.to_wgs84(30.0, 120.0, "cgcs2000")


def test_haversine_distances():
    assert geo.haversine_m(30.5, 120.68, 30.5, 120.68) == 0
    # One degree of latitude ≈ 111.2 km on the mean sphere.
    assert geo.haversine_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km.
    assert geo.haversine_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(
        1_067_000, rel=0.01
    )
    # Symmetric.
    assert geo.haversine_m(30.51, 120.69, 30.43, 120.78) == pytest.approx(
        geo.haversine_m(30.43, 120.78, 30.51, 120.69)
    )
