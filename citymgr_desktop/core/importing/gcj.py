"""GCJ-02 ("Mars coordinates" of Chinese web maps: AutoNavi/Gaode, Tencent) back to WGS 84.

Points digitised on those maps or exported from their APIs are offset from WGS 84 by an
obfuscation of 100-700 m that PROJ does not know. The forward formula is public; the inverse
here is iterative (a fixed point of the forward offset) and reaches 1e-9° (≈0.1 mm) in a few
steps. Outside China the offset is zero, as the maps themselves do. Baidu's BD-09 adds a
further offset and is not handled.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the formula uses it
_EE = 0.00669342162296594323
NAMES = ("GCJ02", "GCJ-02", "GCJ_02", "MARS")


def is_gcj02(text: str | None) -> bool:
    return bool(text) and str(text).strip().upper() in NAMES


def _inside_china(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lng >= 72.004) & (lng <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _t_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _t_lng(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def _offset(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _t_lat(lng - 105.0, lat - 35.0)
    dlng = _t_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlng = dlng * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = _inside_china(lng, lat)
    return np.where(inside, dlng, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lng, lat = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    dlng, dlat = _offset(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (≤ 1e-9°)."""
    g_lng, g_lat = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    w_lng, w_lat = g_lng.copy(), g_lat.copy()
    for _ in range(30):
        f_lng, f_lat = wgs84_to_gcj02(w_lng, w_lat)
        e_lng, e_lat = f_lng - g_lng, f_lat - g_lat
        w_lng, w_lat = w_lng - e_lng, w_lat - e_lat
        if np.all(np.abs(e_lng) < 1e-10) and np.all(np.abs(e_lat) < 1e-10):
            break
    return w_lng, w_lat


def to_wgs84_coords(coords: np.ndarray) -> np.ndarray:
    """For ``shapely.transform``: an (n, 2) array of GCJ-02 lon/lat -> WGS 84."""
    lng, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lng, lat])
