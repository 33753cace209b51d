"""imgcli: a fast OpenStack image CLI. Importing this package loads nothing heavy.

Imports: nothing of imgcli.
"""

__version__ = "0.1.0"
