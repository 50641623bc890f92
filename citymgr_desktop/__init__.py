"""citymgr-desktop: a desktop GIS for city-management field asset inventory (城市管理资产台账)."""

__version__ = "0.1.0"
