"""The cliff App: global options, command plugins, and a connection built only when asked for.

`imgcli/__main__.py` imports this module only when a command runs, not for --version.

Imports: imgcli, imgcli.cache, imgcli.config, imgcli.connection, imgcli.errors,
imgcli.terminal; inside functions, imgcli.trace.recorder, imgcli.trace.redact.
"""

from __future__ import annotations

import difflib
import gc
import itertools
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cliff.app import App
from cliff.commandmanager import CommandManager

from imgcli import __version__
from imgcli.cache import TokenCache
from imgcli.config import (
    Settings,
    add_global_options,
    one_cloud,
    resolve_settings,
    several_clouds,
)
from imgcli.connection import Connection, connect
from imgcli.errors import ExitStatus, ImgcliError
from imgcli.terminal import CONTROLS

if TYPE_CHECKING:
    import argparse

    from cliff.command import Command

COMMAND_GROUP = "imgcli.commands"  # another distribution adds commands by naming this group
PROG = "imgcli"


def one_line_errors(parser: argparse.ArgumentParser) -> None:
    """argparse prints the whole usage before an error; we print the error alone, on one line."""

    def error(message: str) -> None:
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]


def unknown_command(argv: list[str], names: list[str]) -> str:
    """The one-line error for an argv that names no command."""
    if argv and argv[0].startswith("-"):
        # cliff parses global options with parse_known_args: one it does not know is left
        # in front of the command words instead of being reported.
        return f"unknown option {argv[0]!r} (see {PROG} --help)"
    words = " ".join(itertools.takewhile(lambda arg: not arg.startswith("-"), argv))
    # One close name, or none: cliff's own guess lists every command at the same distance.
    close = difflib.get_close_matches(words, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{words!r} is not an {PROG} command{hint} (see {PROG} help)"


def exit_status(result: int, err: BaseException | None) -> int:
    """The documented exit status of a command that cliff ended with `result`."""
    if result != 1 or err is None:
        return result
    if isinstance(err, ImgcliError):
        return err.exit_status
    # In interactive mode cliff wraps argparse's exit (2 for bad options, 0 for --help) in an
    # error for cmd2, and reports 1.
    if isinstance(err.__cause__, SystemExit) and isinstance(err.__cause__.code, int):
        return err.__cause__.code
    return result


# Every control character imgcli.terminal escapes, but the line breaks of a --debug traceback.
LOG_CONTROLS = {code: shown for code, shown in CONTROLS.items() if code != ord("\n")}


def scrub_record(record: logging.LogRecord) -> bool:
    """A logging filter for what reaches stderr: an error or a --debug line may quote a URL
    given by the user (a web-download URI with its password or signature) or text written
    by Glance or an image's owner (escape sequences). Loaded only when a line is logged."""
    from imgcli.trace.redact import hide_url_credentials

    text = record.getMessage()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = hide_url_credentials(record.exc_text).translate(LOG_CONTROLS)
    record.msg, record.args = hide_url_credentials(text).translate(LOG_CONTROLS), ()
    return True


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
        # which cliff reads anyway for formatters and hooks (a fresh scan costs more: see
        # docs/performance.md#the-command-listing-at-start-up).
        listing = NamedExtensionManager(namespace, names=[]).list_entry_points()
        for entry_point in listing:
            name = entry_point.name.replace("_", " ") if self.convert_underscores \
                else entry_point.name
            self.commands.setdefault(name, entry_point)


class ImgcliApp(App):
    """cliff's App with OpenStack's global options and a lazily built connection."""

    NAME = PROG  # cliff takes it from argv[0]: the folder under `python -m`, "pytest" in tests

    def __init__(self, env: Mapping[str, str] | None = None, stdout: Any = None,
                 stderr: Any = None) -> None:
        super().__init__(description="A fast OpenStack image CLI.", version=__version__,
                         command_manager=LazyCommandManager(COMMAND_GROUP),
                         stdout=stdout, stderr=stderr, deferred_help=True)
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.argv: list[str] = []
        self.recorder: Any = None
        self.last_error: BaseException | None = None
        self.status: int | None = None  # the last command's exit status
        self._settings: Settings | None = None
        self._connection: Connection | None = None
        self.command_name: str | None = None

    def build_option_parser(self, description: str | None, version: str | None,
                            argparse_kwargs: dict[str, Any] | None = None):
        # argparse's prog would be argv[0]: `usage: __main__.py` under `python -m imgcli`.
        # No abbreviations: cliff parses the global options out of the whole command line,
        # so `image list --all` would be taken for --all-regions.
        argparse_kwargs = {"prog": self.NAME, "allow_abbrev": False, **(argparse_kwargs or {})}
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
        # keystoneauth warns about each retry and discovery fallback, urllib3 about a
        # connection it drops (a pool full after an interrupted upload); without -v the
        # one line that matters is the final error.
        quiet = self.options.verbose_level < 2
        for name in ("keystoneauth", "urllib3"):
            logging.getLogger(name).setLevel(logging.ERROR if quiet else logging.NOTSET)
        for handler in logging.getLogger().handlers:
            handler.addFilter(scrub_record)

    def initialize_app(self, argv: list[str]) -> None:
        if self.options.trace:
            from imgcli.trace.recorder import Recorder

            self.recorder = Recorder(["imgcli", *self.argv])
            self.stdout = Tee(self.stdout)

    def interact(self) -> None:
        # __main__ turns the collector off for a one-shot command; a session can run for hours.
        gc.enable()
        self.status = 0
        super().interact()

    def prepare_to_run_command(self, cmd: Command) -> None:
        self.last_error = None
        self.command_name = getattr(cmd, "cmd_name", None)  # for one_cloud's refusal

    @property
    def known_settings(self) -> Settings | None:
        """The settings if a command has already resolved them (None: not yet, or they
        failed): what an error message may use without resolving anything anew."""
        return self._settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if several_clouds(self.options):  # image list and show never get here with them
                raise one_cloud(self.options, self.command_name)
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
                self.hold_secrets(self.recorder)
                self.recorder.write(self.options.trace, self.stdout.captured(),
                                    str(err) if err is not None else None)

    def hold_secrets(self, recorder: Any) -> None:
        """Tell the trace every secret this run holds, including a cached token that no
        request showed it (so `token issue` output is scrubbed too)."""
        from imgcli.config import OPTIONS

        if self._settings is not None:
            for option in OPTIONS:
                if option.secret:
                    recorder.hold(self._settings.values.get(option.name),
                                  is_token=option.name == "token")
        auth = self._connection.session.auth if self._connection is not None else None
        ref = getattr(auth, "auth_ref", None)
        if ref is not None:
            recorder.hold(ref.auth_token, is_token=True)

    def run_subcommand(self, argv: list[str]) -> int:
        try:
            self.command_manager.find_command(argv)
        except ValueError:
            # cliff would print its guesses on stdout, over several lines, and nothing on stderr.
            names = [name for name, _ in self.command_manager]
            self.stderr.write(f"{PROG}: {unknown_command(argv, names)}\n")
            self.status = ExitStatus.USAGE
        else:
            self.status = exit_status(super().run_subcommand(argv), self.last_error)
        return self.status

    def run(self, argv: list[str]) -> int:
        self.argv = list(argv)
        result = super().run(argv)
        if self.interactive_mode and self.status is not None:
            # cliff returns 1 after any session; the session's status is its last command's.
            return self.status
        return result
