"""A realistic synthetic district for demos, tests and benchmarks (``citymgr sample``):
``from citymgr_desktop.core import sample; sample.generate(path, features)``.
"""

from citymgr_desktop.core.sample.district import DISTRICT_CODE, generate

__all__ = ["DISTRICT_CODE", "generate"]
