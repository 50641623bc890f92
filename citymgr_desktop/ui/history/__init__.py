"""The maintenance-history feature: the timeline dock and the record dialog.
"""
