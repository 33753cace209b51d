"""`python -m fakecloud --images N [--port P] [--latency-ms MS] [--fault NAME]...`, from the
repository's root: a FakeCloud until SIGTERM or Ctrl-C; it prints its URL first (and, with
--print-env, the OS_* variables that log in to it).

Imports: the standard library, fakecloud.server.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from fakecloud.server import FAULTS, FakeCloud


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m fakecloud",
                                 description="A Keystone + Glance look-alike on loopback.")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--page-cap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS))
    ap.add_argument("--print-env", action="store_true", help="also print export OS_* lines")
    args = ap.parse_args(argv)
    cloud = FakeCloud(args.images, args.latency_ms, args.fault, args.page_cap, args.port,
                      args.seed)
    # SIGTERM (the usual way to end it) should still run stop() and release hung handlers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    cloud.start()
    print(cloud.url, flush=True)
    if args.print_env:
        for k, v in cloud.env.items():
            print(f"export {k}={v}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()


if __name__ == "__main__":
    main()
