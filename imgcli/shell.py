"""The cliff App: global options, command plugins, and a connection built only when asked for.

`imgcli/__main__.py` imports this module only when a command runs, not for --version."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cliff.app import App
from cliff.commandmanager import CommandManager

from imgcli import __version__
from imgcli.cache import TokenCache
from imgcli.config import Settings, add_global_options, resolve_settings
from imgcli.errors import ImgcliError
from imgcli.session import Connection, connect

if TYPE_CHECKING:
    import argparse

    from cliff.command import Command

COMMAND_GROUP = "imgcli.commands"  # another distribution adds commands by naming this group


def one_line_errors(parser: argparse.ArgumentParser) -> None:
    """argparse prints the whole usage before an error; we print the error alone, on one line."""

    def error(message: str) -> None:
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]


class Tee:
    """stdout that also keeps what was printed, for the trace's Output section."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def captured(self) -> str:
        return "".join(self.parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class LazyCommandManager(CommandManager):
    """cliff's CommandManager, but a command's module is imported only when it runs.

    cliff lists commands through stevedore, which imports every plugin of the group on
    every run: one heavy third-party command would slow down `image list` too. cliff
    accepts bare entry points here and loads the chosen one in find_command().
    """

    def load_commands(self, namespace: str) -> None:
        from stevedore import NamedExtensionManager

        self.group_list.append(namespace)
        # names=[] loads no plugin; the listing comes from stevedore's entry-point cache,
        # which cliff reads anyway for formatters and hooks (a fresh scan costs ~4 ms).
        listing = NamedExtensionManager(namespace, names=[]).list_entry_points()
        for entry_point in listing:
            name = entry_point.name.replace("_", " ") if self.convert_underscores \
                else entry_point.name
            self.commands.setdefault(name, entry_point)


class ImgcliApp(App):
    """cliff's App with OpenStack's global options and a lazily built connection."""

    def __init__(self, env: Mapping[str, str] | None = None, stdout: Any = None,
                 stderr: Any = None) -> None:
        super().__init__(description="A fast OpenStack image CLI.", version=__version__,
                         command_manager=LazyCommandManager(COMMAND_GROUP),
                         stdout=stdout, stderr=stderr, deferred_help=True)
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.argv: list[str] = []
        self.recorder: Any = None
        self.last_error: BaseException | None = None
        self._settings: Settings | None = None
        self._connection: Connection | None = None

    def build_option_parser(self, description: str | None, version: str | None,
                            argparse_kwargs: dict[str, Any] | None = None):
        parser = super().build_option_parser(description, version, argparse_kwargs)
        for action in parser._actions:
            if action.dest == "version":
                action.version = f"imgcli {__version__}"  # cliff would print argv[0]
        add_global_options(parser)
        one_line_errors(parser)
        return parser

    def configure_logging(self) -> None:
        if self.options.debug:
            # keystoneauth logs each request at DEBUG, its tokens as {SHA256} digests.
            self.options.verbose_level = max(self.options.verbose_level, 2)
        super().configure_logging()
        # keystoneauth warns about each retry and discovery fallback; without -v the
        # one line that matters is the final error.
        quiet = self.options.verbose_level < 2
        logging.getLogger("keystoneauth").setLevel(logging.ERROR if quiet else logging.NOTSET)

    def initialize_app(self, argv: list[str]) -> None:
        if self.options.trace:
            from imgcli.trace import Recorder

            self.recorder = Recorder(["imgcli", *self.argv])
            self.stdout = Tee(self.stdout)

    def interact(self) -> None:
        # __main__ turns the collector off for a one-shot command; a session can run for hours.
        gc.enable()
        super().interact()

    def prepare_to_run_command(self, cmd: Command) -> None:
        self.last_error = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = resolve_settings(self.options, self.env)
        return self._settings

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = connect(self.settings, self.token_cache(), self.recorder)
        return self._connection

    def token_cache(self) -> TokenCache | None:
        if self.options.no_cache:
            return None
        return TokenCache.from_env(self.env)

    def clean_up(self, cmd: Command, result: int, err: BaseException | None) -> None:
        self.last_error = err
        try:
            if self._connection is not None:
                self._connection.save()
        finally:
            if self.recorder is not None:
                self.recorder.write(self.options.trace, self.stdout.captured(),
                                    str(err) if err is not None else None)

    def run(self, argv: list[str]) -> int:
        self.argv = list(argv)
        result = super().run(argv)
        if result == 1 and isinstance(self.last_error, ImgcliError):
            return self.last_error.exit_code
        return result


