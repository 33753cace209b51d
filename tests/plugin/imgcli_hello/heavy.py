"""A plugin module that records being imported: commands are loaded only when they run."""

import os
from pathlib import Path

from cliff.command import Command

Path(os.environ["IMGCLI_TEST_IMPORT_MARKER"]).write_text("imported")


class Heavy(Command):
    """A command whose module is costly to import"""

    def take_action(self, parsed_args):
        self.app.stdout.write("heavy ran\n")
        return 0
