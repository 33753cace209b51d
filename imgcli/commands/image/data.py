"""The image data options `image create` and `image stage` share, and opening the data they
name: --file (a path, - for stdin, or piped stdin), --url, --decompress, --expect-checksum,
--size and --progress; create's --if-absent look-up.

Every check here runs before any request to the cloud, and a mistake is one line, exit 2:
--url with --file, a URL scheme other than http(s), a malformed --expect-checksum, --if-absent
with a URL or a pipe, --decompress of data that is not compressed, an empty file. A --url is
opened (its GET sent, redirects followed, its status checked) before the image is created,
so a bad URL leaves nothing behind.

Costs: opening sends nothing to the cloud (a --url costs its own GET, to its server). create's
--if-absent reads the file once before uploading (its sha512, decompressed with --decompress)
and costs one `GET /v2/images?name=…&owner=…&status=active`.

Imports: imgcli.errors, imgcli.commands.options, imgcli.transfer (sources, hashing, progress)
inside functions, imgcli.api.images for the --if-absent look-up.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgcli.commands.options import positive_size
from imgcli.errors import UsageError

if TYPE_CHECKING:
    from imgcli.connection import Connection
    from imgcli.transfer import Progress, Source

IF_ABSENT_ALGORITHM = "sha512"  # Glance's default os_hash_algo: what --if-absent compares
# Each data option's value when a command (or a caller's namespace) does not have it.
ABSENT = {"filename": None, "url": None, "decompress": False, "expect_checksum": None,
          "size": None, "progress": False, "if_absent": False}


def add_data_options(parser: argparse.ArgumentParser, file_help: str,
                     create: bool = False) -> None:
    """--file, --url, --decompress, --expect-checksum, --size and --progress (and, for
    create, --if-absent)."""
    parser.add_argument("--file", dest="filename", metavar="<file>", help=file_help)
    parser.add_argument("--url", metavar="<url>",
                        help="Fetch the image data from this http(s) URL and stream it to "
                             "Glance as it arrives (no temporary file; redirects followed)")
    parser.add_argument("--decompress", action="store_true",
                        help="The data is gzip, bzip2, xz or zstd (found from its first "
                             "bytes): send Glance the decompressed bytes")
    parser.add_argument("--expect-checksum", metavar="<algo:hex>",
                        help="Fail unless the data as read (the file, pipe or URL, before "
                             "--decompress) hashes to this: sha256:HEX, sha512:HEX, sha1:HEX "
                             "or md5:HEX, as in a publisher's SHA256SUMS"
                             + ("; a mismatch deletes the image before it becomes active"
                                if create else "; a mismatch stops the upload"))
    parser.add_argument("--size", metavar="<size>", type=positive_size,
                        help="Size of image data in bytes: checked against a file, and sent "
                             "to Glance for piped data")
    parser.add_argument("--progress", action="store_true", default=False,
                        help="Show upload progress (bytes, rate, time left) on a terminal")
    if create:
        parser.add_argument("--if-absent", action="store_true",
                            help="Upload nothing when an active image of this name in the "
                                 "project already holds the same data (its sha512, read from "
                                 "--file first): print that image instead")


def expected_checksum(args: argparse.Namespace) -> tuple[str, str] | None:
    from imgcli.transfer.hashing import parse_expected_checksum

    text = args.expect_checksum
    return parse_expected_checksum(text) if text is not None else None


def check_data_options(args: argparse.Namespace) -> tuple[str, str] | None:
    """The checks that need no file and no request: the expected checksum, parsed."""
    from imgcli.transfer.sources import check_url

    expected = expected_checksum(args)
    if args.url is not None:
        if args.filename is not None:
            raise UsageError("--url and --file both name the image data: give one of them")
        check_url(args.url)
        if args.if_absent:
            raise UsageError("--if-absent needs the data twice (its hash first, then the "
                             "upload), and a URL can be read once: download it and give "
                             "--file PATH")
    return expected


def open_data(app: Any, args: argparse.Namespace, what: str) -> Source | None:
    """The image data to send, opened and stacked (tapped, decompressed, read ahead) before
    any request to the cloud; None when there is none.

    Implicit stdin is openstackclient's rule (data when stdin is neither a terminal nor
    closed), except that an empty stdin is no data and that an interactive session's
    stdin holds commands, not data. Data named explicitly must not be empty."""
    import imgcli.transfer.sources as sources

    args = argparse.Namespace(**{**ABSENT, **vars(args)})
    expected = check_data_options(args)
    if args.url is not None:
        settings = app.settings
        source: Source | None = sources.open_url(
            args.url, timeout=settings.api_timeout, verify=not settings.insecure,
            user_agent=f"imgcli/{app_version()}")
    elif args.filename is None and app.interactive_mode:
        source = None
    else:
        source = sources.open_source(args.filename, app.stdin)
    try:
        if source is not None and not args.decompress and \
                getattr(args, "disk_format", None) == "raw":
            warning = compressed_warning(source)
            if warning:
                app.stderr.write(f"warning: {warning}\n")
        return stack(source, args, expected, what)
    except BaseException:
        if source is not None:
            source.close()
        raise


def stack(source: Source | None, args: argparse.Namespace, expected: tuple[str, str] | None,
          what: str) -> Source | None:
    import imgcli.transfer.sources as sources

    named = args.filename if args.url is None else "--url"
    if source is not None and source.kind == "url" and source.size is None:
        sources.head(source)  # a body without Content-Length: is there any?
    if (args.filename is not None or args.url is not None) and (source is None
                                                                 or source.empty):
        where = {"-": "stdin", "--url": "the URL's body"}.get(str(named), named)
        option = "--url" if args.url is not None else f"--file {args.filename}"
        raise UsageError(f"{option}: {where} is empty; {what}")
    if source is None:
        for flag, given in (("--size", args.size is not None), ("--decompress", args.decompress),
                            ("--expect-checksum", expected is not None),
                            ("--if-absent", args.if_absent)):
            if given:
                raise UsageError(f"{flag} requires image data via --file, --url or stdin")
        return None
    if args.if_absent and (source.kind != "file" or source.size is None):
        what_it_is = "stdin" if source.kind == "stdin" else f"{source.name}, a pipe,"
        raise UsageError(f"--if-absent reads the data twice (its hash first, then the upload), "
                         f"and {what_it_is} can be read once: give --file PATH of a regular "
                         "file")
    if args.size is not None and source.size is not None and source.size != args.size \
            and not args.decompress:
        raise UsageError(f"--size {args.size} but {source.name} holds {source.size} bytes")
    if expected is not None:
        source = sources.tapped(source, *expected)
    if args.decompress:
        source = sources.decompressed(source)
    if source.below is not None:  # work beside the upload: hashing, decompressing, a URL
        source = sources.read_ahead(source)
    elif source.kind == "url":
        source = sources.read_ahead(source)
    return source


def app_version() -> str:
    from imgcli import __version__

    return __version__


def compressed_warning(source: Source) -> str | None:
    """create --disk-format raw without --decompress: data that starts like gzip, bzip2, xz
    or zstd is almost always a mistake (Glance stores it as it is, and no VM boots from it).
    Looked at before anything is stacked on the source, so a peek keeps blocks aligned."""
    from imgcli.transfer.sources import looks_compressed

    if source.empty:
        return None
    fmt = looks_compressed(source)
    if fmt is None:
        return None
    return (f"{source.name} looks {fmt}-compressed, but it is uploaded as it is with "
            "--disk-format raw; add --decompress to send the decompressed image")


def meter(app: Any, args: argparse.Namespace, source: Source, label: str) -> Progress | None:
    """The upload meter --progress asks for (drawn only when stderr is a terminal); both
    ends for a URL or a decompressed file (read there, sent to Glance)."""
    import imgcli.transfer as transfer

    if not args.progress:
        return None
    total = source.size if source.size is not None else args.size
    progress = transfer.Progress(total, label, app.stderr)
    bottom = source.bottom
    if bottom.kind == "url" or getattr(args, "decompress", False):
        progress.reading("the URL" if bottom.kind == "url" else bottom.name, bottom.size)
    return progress


# -- create --if-absent ------------------------------------------------------------------------

def data_digest(app: Any, args: argparse.Namespace) -> str:
    """The sha512 of the data as Glance would receive it, from a read of its own (the
    upload reads the file again), --expect-checksum checked on the way."""
    import hashlib

    quiet = argparse.Namespace(**{**vars(args), "disk_format": None})  # warned once already
    source = open_data(app, quiet, "nothing to compare")
    assert source is not None
    digest = hashlib.new(IF_ABSENT_ALGORITHM)
    try:
        from imgcli.transfer.sources import fill_block

        if source.first:
            digest.update(source.first)
        while block := fill_block(source.file):
            digest.update(block)
    finally:
        source.close()
    return digest.hexdigest()


def same_image(connection: Connection, name: str, owner: str | None,
               digest: str) -> dict[str, Any] | None:
    """An active image of this name, owned by `owner` (the token's project by default),
    whose data has this sha512: one `GET /v2/images?name=…&owner=…&status=active`."""
    from imgcli.api import images

    owner = owner or connection.session.get_project_id()
    query = [("name", name), ("status", "active"), ("limit", "1000")]
    if owner:
        query.append(("owner", owner))
    page = next(images.list_pages(connection.adapter, connection.image_root(), query, 1000),
                [])
    for image in page:
        if (image.get("os_hash_algo") == IF_ABSENT_ALGORITHM
                and str(image.get("os_hash_value", "")).lower() == digest
                and (owner is None or image.get("owner") == owner)):
            return image
    return None
