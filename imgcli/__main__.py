"""`imgcli` and `python -m imgcli`: answer --version before importing anything heavy.

Imports: imgcli, imgcli.errors; inside functions, imgcli.shell, imgcli.signals.
"""

from __future__ import annotations

import gc
import os
import sys

from imgcli import __version__
from imgcli.errors import ExitStatus


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"]:
        print(f"imgcli {__version__}")
        return 0
    # Start-up creates the objects of hundreds of modules, all alive until exit; the cyclic
    # collector would walk them again and again as they are made, and once more at exit
    # (docs/performance.md has the share of a warm run's instructions). Freezing them makes
    # teardown skip them.
    gc.disable()
    from imgcli import signals

    signals.install()
    try:
        from imgcli.shell import ImgcliApp

        result = ImgcliApp().run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        result = ExitStatus.BROKEN_PIPE
    except KeyboardInterrupt:
        result = ExitStatus.INTERRUPTED
    finally:
        gc.freeze()
        gc.enable()
    result = signals.exit_status(result)
    if result == ExitStatus.BROKEN_PIPE:
        # The reader went away (`| head -1`): nothing more to say, and no flush error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return result


if __name__ == "__main__":
    sys.exit(main())
