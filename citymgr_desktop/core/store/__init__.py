"""The store: the one door to the data of a project file (open, check, read, write, create).
"""
