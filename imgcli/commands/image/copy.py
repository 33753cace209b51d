"""`image copy IMAGE --to-cloud CLOUD [--to-region REGION]`: one image into another cloud or
region, its data verified, and the new image's record printed as `image show` prints it.

The source is the cloud the global options pick; the target a cloud from clouds.yaml (with
secure.yaml; none of the source's OS_* variables), or the source's own cloud in another
region with --to-region alone. The requests, by ID, with warm token caches:

- stream (the default between different clouds): source `GET /v2/images/{id}` (the
  record), source `GET …/file` (its body flows into the PUT), target `POST /v2/images`,
  target `PUT …/file`, target `GET` of the new record: 5. --if-absent adds the target's
  `GET /v2/images?name=` and `?name=&os_hidden=true` (a copy keeps os_hidden).
- glance-download (the default between regions of one Keystone when the target offers it):
  source GET record, target `GET /v2/info/import`, `POST /v2/images`, `POST …/import`,
  then the polls of `image import --wait`.

A failure once the target image exists deletes it and says so (imgcli.transfer.copy).

Imports: imgcli.commands.base, imgcli.commands.image.imports (the import methods),
imgcli.multicloud, imgcli.records, imgcli.resolve, imgcli.api.images, imgcli.errors;
imgcli.transfer.* when a copy runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgcli import multicloud, records, resolve
from imgcli.api import images
from imgcli.commands.base import ShowOne
from imgcli.errors import ApiError, NotFound, UsageError

if TYPE_CHECKING:
    from imgcli.config import Settings
    from imgcli.connection import Connection
    from imgcli.shell import ImgcliApp

STREAM, GLANCE_DOWNLOAD = "stream", "glance-download"
METHODS = (STREAM, GLANCE_DOWNLOAD)


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """--to-cloud and --to-region, as `image copy` and `image sync` take them."""
    parser.add_argument("--to-cloud", metavar="<cloud>",
                        help="Target cloud, by its name in clouds.yaml (secure.yaml too); "
                             "the source's OS_* variables are not used for it")
    parser.add_argument("--to-region", metavar="<region>",
                        help="Target region: of --to-cloud, or without it another region "
                             "of the source's own cloud")


def names(source: Settings, target: Settings) -> tuple[str, str]:
    """How messages and the trace name the two clouds: by their clouds.yaml names (a cloud of
    OS_* variables alone has none), with the regions when the names are the same, and
    (source)/(target) when even those are."""
    one, other = source.cloud or "the source", target.cloud or "the target"
    if one == other:
        one, other = multicloud.label(source), multicloud.label(target)
    return (f"{one} (source)", f"{other} (target)") if one == other else (one, other)


def check_places(source: Settings, target: Settings) -> None:
    """Before any request: the target is not the source."""
    if multicloud.where(source) == multicloud.where(target):
        raise UsageError("the target is the source itself (same cloud, project and region): "
                         "give another --to-cloud or --to-region")


def offered_methods(target: Connection) -> list[str]:
    """The import methods the target enables (`GET /v2/info/import`); none when it has
    no import API."""
    from imgcli.commands.image.imports import enabled_methods

    try:
        return enabled_methods(images.import_info(target))
    except NotFound:
        return []


def add_method_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", metavar="<method>", choices=METHODS,
                        help="stream: through imgcli, in one pass (the default between "
                             "clouds); glance-download: the target's Glance fetches the "
                             "data (regions of one Keystone; the default there when the "
                             "target offers it)")


class Pair:
    """The source and target of a copy or a sync: their settings (checked before any
    request), connections (the source's is the app's), names, and the method."""

    def __init__(self, app: ImgcliApp, args: argparse.Namespace) -> None:
        self.app = app
        self.source_settings = app.settings  # several --os-cloud are refused here (one_cloud)
        self.target_settings = multicloud.target_settings(app, args.to_cloud, args.to_region)
        check_places(self.source_settings, self.target_settings)
        self.one_keystone = multicloud.same_keystone(self.source_settings,
                                                     self.target_settings)
        if args.method == GLANCE_DOWNLOAD and not self.one_keystone:
            raise UsageError("--method glance-download works only between regions of one "
                             "Keystone (the target's Glance fetches the data with your token); "
                             "between clouds use --method stream")
        self.asked = args.method
        self.names = names(self.source_settings, self.target_settings)
        self.source = app.connection
        multicloud.mark(app, self.source, self.names[0])
        self.target = multicloud.open_connection(app, self.target_settings, self.names[1])
        self.method = STREAM

    def source_side(self) -> Any:
        return multicloud.naming(self.names[0], self.source_settings)

    def target_side(self) -> Any:
        return multicloud.naming(self.names[1], self.target_settings)

    def prepare(self, choose: bool = True) -> None:
        """The target's token and endpoint (before anything is made there), the check that
        it is not the source's own Glance and project, and (`choose`) the method."""
        target_name = self.names[1]
        with self.target_side():
            self.target.image_root()
            if self.target.root == self.source.image_root() and \
                    multicloud.project_of(self.target) == multicloud.project_of(self.source):
                raise UsageError(f"{target_name} is the source itself (the same Glance and "
                                 "project): give another --to-cloud or --to-region")
            if choose:
                self.method = self.choose()

    def choose(self) -> str:
        """--method, or the default: glance-download between regions of one Keystone when
        the target offers it (one GET /v2/info/import), else stream."""
        if self.asked == STREAM or (self.asked is None and not self.one_keystone):
            return STREAM
        offered = offered_methods(self.target)
        if GLANCE_DOWNLOAD in offered:
            return GLANCE_DOWNLOAD
        if self.asked is None:
            return STREAM
        raise ApiError(f"{self.names[1]} does not offer the glance-download import; it "
                       f"offers: {', '.join(offered) or 'none'} (use --method stream)")

    def copy(self, image: dict[str, Any], name: str | None = None, progress: bool = False,
             source: Connection | None = None, target: Connection | None = None,
             stop: Any = None) -> tuple[dict[str, Any], str | None]:
        """One image copied by the chosen method: the target's record and a warning.
        `source`/`target`: other connections to the same clouds (a thread's own)."""
        import imgcli.transfer.copy as copying

        source, target = source or self.source, target or self.target
        settings, stderr = self.source_settings, self.app.stderr
        body = copying.copy_body(image, name)
        if self.method == STREAM:
            from imgcli.transfer import Progress

            meter = Progress(image.get("size"), "copying", stderr) if progress else None
            return copying.stream(source, target, image, body, self.names, progress=meter,
                                  timeout=settings.api_timeout, stop=stop)
        from imgcli.transfer import StatusLine

        region = settings.region_name or multicloud.region_of(self.source, settings.interface)
        return copying.glance_download(
            target, image, body, self.names[1], region=region, interface=settings.interface,
            timeout=settings.api_timeout, status=StatusLine(stderr) if progress else None,
            stop=stop)

    def close(self) -> None:
        self.target.save()
        multicloud.hold_token(self.app, self.target)


def interrupted(stderr: Any, exc: KeyboardInterrupt) -> None:
    """Say what an interrupt left (the half-made image deleted), as `image save` does."""
    if str(exc):
        stderr.write(f"{exc}\n")


class CopyImage(ShowOne):
    """Copy an image, with its data verified, to another cloud or region"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image>", help="Image to copy (name or ID)")
        add_target_options(parser)
        parser.add_argument("--name", metavar="<name>",
                            help="Name of the new image (default: the source image's)")
        parser.add_argument("--if-absent", action="store_true",
                            help="Copy nothing when the target already has an active image "
                                 "of that name with the same data (os_hash_value): print it")
        add_method_option(parser)
        parser.add_argument("--progress", action="store_true",
                            help="Show the copy's progress on a terminal")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        pair = Pair(self.app, parsed_args)
        try:
            return records.show_record(self.copy(parsed_args, pair))
        except KeyboardInterrupt as exc:
            interrupted(self.app.stderr, exc)
            raise
        finally:
            pair.close()

    def copy(self, args: argparse.Namespace, pair: Pair) -> dict[str, Any]:
        """The copy, once both clouds are known: the target's final record."""
        import imgcli.transfer.copy as copying

        source_name, target_name = pair.names
        with pair.source_side():
            image = resolve.image_record(pair.source, args.image)
        reason = copying.why_no_data(image)
        if reason:
            raise ApiError(f"{source_name}: {reason}; there is nothing to copy")
        name = args.name if args.name is not None else image.get("name")
        if args.if_absent and not name:
            raise UsageError("--if-absent needs a name to look for: the source image has "
                             "none; give --name")
        pair.prepare()
        if args.if_absent:
            with pair.target_side():  # hidden images too: a copy keeps os_hidden
                there = images.find_images(pair.target, name) + \
                    images.find_images(pair.target, name, hidden=True)
                found = next((other for other in there if copying.same_data(image, other)),
                             None)
            if found is not None:
                self.app.stderr.write(f"nothing copied: {target_name} already has image "
                                      f"{found['id']} named {name!r} with the same data\n")
                return found
        final, warning = pair.copy(image, args.name, args.progress)
        if warning:
            self.app.stderr.write(f"warning: {warning}\n")
        return final
