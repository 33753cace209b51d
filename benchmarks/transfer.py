"""imgcli.transfer against curl and sha512 on loopback: time and peak RSS, up and down.

    .venv/bin/python benchmarks/transfer.py [--size-mib 256] [--runs 7]

A server thread sends a file with sendfile() (Range aware) and reads PUT bodies into a
reused buffer. Each measured transfer is a fresh process, the runs interleaved so that a
busy neighbour slows every contender alike:

- save:   GET through keystoneauth, imgcli.transfer.prepare_download(...).save() to a file
          (hash on a second thread, fsync, rename)  vs  `curl -s -o FILE`
- hash:   hashlib.sha512 over the same bytes from the page cache, and `sha512sum`
- upload: PUT through keystoneauth with upload_body() (sha512 on a second thread)
          vs  `curl -s -T FILE`

"transfer" times are measured inside the process, around the request: interpreter start-up
and imports (about 0.1 s, the same for every imgcli command) are left out.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def serve(data_path: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            size = os.path.getsize(data_path)
            start, wanted = 0, self.headers.get("Range", "")
            if wanted.startswith("bytes=") and wanted.endswith("-"):
                start = int(wanted[6:-1])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            self.wfile.flush()
            with open(data_path, "rb") as f:
                self.connection.sendfile(f, start)

        def do_PUT(self) -> None:
            view, total = memoryview(bytearray(1 << 20)), 0
            if self.headers.get("Transfer-Encoding") == "chunked":
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    total += self.drain(view, size)
                    self.rfile.readline()
                self.rfile.readline()
            else:
                total = self.drain(view, int(self.headers["Content-Length"]))
            body = str(total).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def drain(self, view: memoryview, left: int) -> int:
            total = 0
            while left and (got := self.rfile.readinto(view[:min(left, len(view))])):
                left -= got
                total += got
            return total

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def child(mode: str, url: str, path: str, digest: str, size: int) -> None:
    """One measured transfer, done as the commands do it; prints seconds and peak RSS."""
    import resource

    from keystoneauth1 import session as ks_session

    from imgcli.transfer import Expected, open_source, prepare_download, upload_body

    session = ks_session.Session()
    start, cpu_start = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
    if mode == "save":
        download = prepare_download(path, "bench", Expected("sha512", digest, size),
                                    resume=False)
        result = download.save(session.get(url, headers=download.headers, stream=True,
                                            authenticated=False))
        assert result.verified and result.size == size
    elif mode == "upload":
        source = open_source(path)
        assert source is not None
        body = upload_body(source)
        reply = session.put(url, data=body, authenticated=False, connect_retries=0,
                            status_code_retries=0, allow_reauth=False, redirect=False)
        assert reply.text == str(size) and body.hexdigest() == digest
    else:  # sha512 alone, the same reads in the same blocks
        h, buf = hashlib.sha512(), bytearray(1 << 20)
        view = memoryview(buf)
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h.update(view[:n])
        assert h.hexdigest() == digest
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_start
    print(f"{elapsed:.4f} {cpu:.4f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")


def cpu_seconds(who: int) -> float:
    import resource

    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_child(*args: str) -> tuple[float, float, int]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def run_tool(*cmd: str) -> tuple[float, float]:
    import resource

    start, cpu_start = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_start


def measure(size_mib: int, runs: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="imgcli-transfer-bench-"))
    try:
        data, dest = work / "data", work / "dest.img"
        with open(data, "wb") as f:
            for _ in range(size_mib):
                f.write(os.urandom(1 << 20))
        size = data.stat().st_size
        h = hashlib.sha512()
        with open(data, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        digest = h.hexdigest()
        httpd = serve(str(data))
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        times: dict[str, list[tuple[float, float]]] = {}
        rss: dict[str, int] = {}

        def child_time(mode: str, target: str, path: str) -> tuple[float, float]:
            seconds, cpu, peak = run_child(mode, target, path, digest, str(size))
            rss[mode] = max(rss.get(mode, 0), peak)
            return seconds, cpu

        rows = [
            ("curl -o", lambda: run_tool("curl", "-sf", "-o", str(dest), url + "data")),
            ("imgcli save", lambda: child_time("save", url + "data", str(dest))),
            ("sha512 (hashlib)", lambda: child_time("sha512", "", str(data))),
            ("sha512sum", lambda: run_tool("sha512sum", str(data))),
            ("curl -T", lambda: run_tool("curl", "-sf", "-T", str(data), url + "up")),
            ("imgcli upload", lambda: child_time("upload", url + "up", str(data))),
        ]
        for _ in range(runs):
            for name, action in rows:
                dest.unlink(missing_ok=True)
                times.setdefault(name, []).append(action())
        httpd.shutdown()
        print(f"{size_mib} MiB, {runs} interleaved runs, load average {os.getloadavg()[0]:.1f}")
        print(f"  {'':18} {'wall median':>12} {'wall min':>9} {'CPU median':>11}")
        for name, values in times.items():
            walls, cpus = [w for w, _ in values], [c for _, c in values]
            print(f"  {name:18} {statistics.median(walls):10.3f} s {min(walls):7.3f} s "
                  f"{statistics.median(cpus):9.3f} s")
        print("  peak RSS: " + ", ".join(f"{mode} {mib} MiB" for mode, mib in rss.items()))
        med = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
        save_bound = max(med["curl -o"], med["sha512 (hashlib)"])
        up_bound = max(med["curl -T"], med["sha512 (hashlib)"])
        print(f"  save / max(curl -o, sha512)   = {med['imgcli save'] / save_bound:.2f}")
        print(f"  upload / curl -T              = {med['imgcli upload'] / med['curl -T']:.2f}")
        print(f"  upload / max(curl -T, sha512) = {med['imgcli upload'] / up_bound:.2f}")
    finally:
        shutil.rmtree(work)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        mode, url, path, digest, size = sys.argv[2:7]
        child(mode, url, path, digest, int(size))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    measure(args.size_mib, args.runs)


if __name__ == "__main__":
    main()
