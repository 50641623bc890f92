"""A realistic synthetic district for demos, tests and benchmarks (``citymgr sample``).
"""
