"""Maintenance history of assets: records and attachments.
"""
