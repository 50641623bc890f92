"""The field-sync feature: field packages out, sync back in, conflicts and sync history.
"""
