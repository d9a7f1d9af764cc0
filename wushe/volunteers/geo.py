"""Map coordinates (domain.md §3): we store WGS-84; Chinese map providers hand out GCJ-02
(AMap/高德, Tencent/腾讯) or BD-09 (Baidu/百度). Pure functions, no Django.

GCJ-02 is WGS-84 shifted by the published (leaked, widely reimplemented) obfuscation
function of the 国测局; BD-09 is GCJ-02 with Baidu's extra polar-coordinate shift. Both apply
only inside China's bounding box. WGS-84 → GCJ-02 is a closed formula; its inverse has no
closed form, so `gcj02_to_wgs84` iterates the forward function until the residual is below
1e-9° (≈ 0.1 mm), which takes 3–5 rounds. The one-step inverse most libraries use errs by up to
a couple of metres.

Argument order everywhere: (lat, lng), as people read coordinates aloud in Chinese forms
("纬度、经度"). Distances are in metres."""

from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 function.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
EARTH_MEAN_RADIUS_M = 6371008.8  # IUGG mean radius, for haversine

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)


def out_of_china(lat: float, lng: float) -> bool:
    """Outside the bounding box where GCJ-02 shifts anything (the usual rough test)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 offset (dlat, dlng) in degrees at a WGS-84 point."""
    x, y = lng - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2 / 3
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += common
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _delta(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Inverse of `wgs84_to_gcj02` by fixed-point iteration (converges in a few rounds: the
    offset changes by ~1e-5 per degree, so each round gains about five digits)."""
    if out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _round in range(30):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        err_lat, err_lng = glat - lat, glng - lng
        if abs(err_lat) < 1e-9 and abs(err_lng) < 1e-9:
            break
        wlat, wlng = wlat - err_lat, wlng - err_lng
    return wlat, wlng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def bd09_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def to_wgs84(lat: float, lng: float, system: str) -> tuple[float, float]:
    """A point given in `system` (wgs84 / gcj02 / bd09) as WGS-84."""
    if system == WGS84:
        return lat, lng
    if system == GCJ02:
        return gcj02_to_wgs84(lat, lng)
    if system == BD09:
        return bd09_to_wgs84(lat, lng)
    raise ValueError(f"unknown coordinate system {system!r}")


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres on a sphere of the Earth's mean radius: within a city
    the error against the ellipsoid is well below 0.5 %, plenty for "who lives nearby"."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
