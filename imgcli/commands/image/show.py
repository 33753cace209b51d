"""`image show`: openstackclient's Field/Value record of one image, from one request.

Imports: imgcli.records, imgcli.resolve, imgcli.commands.base, imgcli.config;
imgcli.commands.image.many inside run (several clouds).
"""

from __future__ import annotations

import argparse
from typing import Any

from imgcli import records, resolve
from imgcli.commands.base import ShowOne
from imgcli.config import several_clouds


class ShowImage(ShowOne):
    """Display image details"""


    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--human-readable", action="store_true",
                            help="Print image size in a human-friendly format.")
        parser.add_argument("image", metavar="<image>", help="Image to display (name or ID)")
        return parser

    def run(self, parsed_args: argparse.Namespace) -> int:
        if several_clouds(self.app.options):  # several clouds: one table (many.py)
            from imgcli.commands.image.many import run_show

            return run_show(self, parsed_args)
        return super().run(parsed_args)

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        image = resolve.image_record(self.app.connection, parsed_args.image)
        return records.show_record(image, parsed_args.human_readable)
