"""The printing feature: the print dialog with its options and live preview.
"""
