"""Field packages out (check-out) and back in (check-in): the three-way merge, its journal and undo.
"""
