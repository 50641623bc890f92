"""Maintenance maps (维修图): true-scale print layouts and atlases.
"""
