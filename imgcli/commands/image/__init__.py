"""`image ...` commands, one module per command or small group: options, then calls, then a
record. Each module is imported only when its command runs (see shell.LazyCommandManager).

Imports: nothing of imgcli.
"""
