"""`image save IMAGE [--file PATH] [--expect-checksum ALGO:HEX]`: the image's data,
verified against its hash (and the publisher's checksum, when given) before it replaces
anything. By ID: the record (which carries the hash) and the data, 2 requests; by name,
the name's look-up instead of the record (it returns the record), 2 requests too.

An interruption (Ctrl-C, SIGTERM, SIGHUP) keeps the partial file beside the destination and
prints one line with the command that resumes from it (`resume_command`); exit 128 + the
signal's number (imgcli.signals).

Imports: the standard library, imgcli.commands.base, imgcli.resolve, imgcli.config (for
the resume command's options), imgcli.transfer inside take_action.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from typing import Any

from imgcli import resolve
from imgcli.commands.base import Command


def binary_stdout(stdout: Any) -> Any:
    """The byte stream under the app's stdout (a trace's Tee passes `buffer` through)."""
    return getattr(stdout, "buffer", None) or sys.stdout.buffer


def global_options(options: argparse.Namespace) -> list[str]:
    """The global options given on the command line that say which cloud and how to reach
    it, to repeat in a command printed for the user to run. Never a secret (a password,
    token or application credential secret given as an option is left out: the printed
    line may end up in a CI log; it is found again where it came from, or prompted for),
    and not --trace (running the line would overwrite the trace)."""
    from imgcli.config import OPTIONS

    words: list[str] = []
    cloud = getattr(options, "cloud", None)
    if cloud is not None:
        words += ["--os-cloud", cloud]
    for option in OPTIONS:
        value = getattr(options, option.name, None)
        if not option.flags or option.secret or value is None:
            continue
        words += [option.flags[0], f"{value:g}" if isinstance(value, float) else str(value)]
    insecure = getattr(options, "insecure", None)
    if insecure is not None:
        words.append("--insecure" if insecure else "--verify")
    if getattr(options, "no_cache", False):
        words.append("--no-cache")
    return words


def resume_command(options: argparse.Namespace | None, image_id: str, path: str | None,
                   stores: Sequence[str] = (), expect: str | None = None) -> str | None:
    """The command that resumes an interrupted save to `path`: the same cloud, the image
    by ID (no look-up), the same file, store preferences and --expect-checksum. None for
    stdout or a device, which are not resumed."""
    if path is None or path == "-":
        return None
    words = ["imgcli", *(global_options(options) if options is not None else []),
             "image", "save", image_id, "--file", path]
    for store in stores:
        words += ["--store-preference", store]
    if expect is not None:
        words += ["--expect-checksum", expect]
    return shlex.join(words)


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
        parser.add_argument("--expect-checksum", metavar="<algo>:<hex>", dest="expect",
                            help="The checksum the image's publisher gives (sha256, sha512, "
                                 "sha1 or md5), checked in the same pass as Glance's hash: "
                                 "on a mismatch the file is left as it was (imgcli only)")
        parser.add_argument("image", metavar="<image>", help="Image to save (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        import imgcli.transfer as transfer
        from imgcli.transfer.hashing import parse_expected_checksum

        path = parsed_args.filename
        # Before any request: a malformed checksum, a terminal, a missing or unwritable
        # directory, a directory.
        check = None if parsed_args.expect is None else \
            parse_expected_checksum(parsed_args.expect)
        transfer.check_destination(path, self.app.stdout)
        try:
            image = resolve.image_record(self.app.connection, parsed_args.image)
        except KeyboardInterrupt as exc:
            self.app.stderr.write(f"{str(exc) or 'interrupted'} before the download "
                                  "started; nothing was written\n")
            raise
        progress = transfer.Progress(None, "saving", self.app.stderr)
        resume = resume_command(getattr(self.app, "options", None), str(image["id"]), path,
                                parsed_args.stores, parsed_args.expect)
        try:
            result = transfer.save_data(self.app.connection, image, path,
                                        stdout=binary_stdout(self.app.stdout),
                                        progress=progress, prefer=parsed_args.stores,
                                        check=check, resume=resume)
        except KeyboardInterrupt as exc:
            self.app.stderr.write(f"{exc}\n")  # what was kept, and how to resume
            raise
        if result.resumed_from:
            self.app.stderr.write(f"resumed from byte {result.resumed_from} of "
                                  f"{result.size} (a partial file an earlier save kept)\n")
        if result.warning:
            self.app.stderr.write(f"warning: {result.warning}\n")
