"""`image metadef ...`: Glance's metadata definitions (namespace, object, property, resource
type and association commands), one module per group; common.py holds what they share.

Imports: nothing (the modules import what they need).
"""
