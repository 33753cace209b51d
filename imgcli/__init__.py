"""imgcli: a fast OpenStack image CLI. Importing this package loads nothing heavy."""

__version__ = "0.1.0"
