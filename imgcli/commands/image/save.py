"""`image save IMAGE [--file PATH]`: the image's data, verified against its hash before it
replaces anything. By ID: the record (which carries the hash) and the data, 2 requests."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from imgcli import resolve
from imgcli.commands.base import Command


def binary_stdout(stdout: Any) -> Any:
    """The byte stream under the app's stdout (a trace's Tee passes `buffer` through)."""
    return getattr(stdout, "buffer", None) or sys.stdout.buffer


class SaveImage(Command):
    """Save an image locally"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--chunk-size", metavar="<chunk-size>", type=int,
                            help="Accepted for openstackclient's sake and ignored: imgcli "
                                 "reads 1 MiB blocks")
        parser.add_argument("--file", metavar="<filename>", dest="filename",
                            help="Downloaded image save filename (default: stdout). It is "
                                 "replaced only once the data matched the image's hash")
        parser.add_argument("--store-preference", metavar="<store>", dest="stores",
                            action="append", default=[],
                            help="Preferred store to download the image from (repeat "
                                 "option to specify multiple store preferences in order)")
        parser.add_argument("image", metavar="<image>", help="Image to save (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        import imgcli.transfer as transfer

        path = parsed_args.filename
        # Before any request: a terminal, a missing or unwritable directory, a directory.
        transfer.check_destination(path, self.app.stdout)
        image = resolve.image_record(self.app.connection, parsed_args.image)
        progress = transfer.Progress(None, "saving", self.app.stderr)
        try:
            result = transfer.save_data(self.app.connection, image, path,
                                        stdout=binary_stdout(self.app.stdout),
                                        progress=progress, prefer=parsed_args.stores)
        except KeyboardInterrupt as exc:
            if str(exc):
                self.app.stderr.write(f"{exc}\n")
            raise
        if result.resumed_from:
            self.app.stderr.write(f"resumed from byte {result.resumed_from} of "
                                  f"{result.size} (a partial file an earlier save kept)\n")
        if result.warning:
            self.app.stderr.write(f"warning: {result.warning}\n")
