"""The work-order feature: the list dock and the create, move and export dialogs.
"""
