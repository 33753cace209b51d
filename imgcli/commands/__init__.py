"""imgcli's cliff commands, registered in the `imgcli.commands` entry-point group.

Imports: nothing of imgcli.
"""
