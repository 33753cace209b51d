"""imgcli.transfer's upload body against the loopback LoopbackGlance: what goes on the wire (sized
or chunked), that a stream is never sent twice, and the check of what Glance stored."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from fakecloud.data import LoopbackGlance
from fakecloud.loopback import QuietHandler, serve
from imgcli.errors import ApiError, ImgcliError
from imgcli.transfer import (
    Progress,
    SizedUploadBody,
    check_upload,
    describe_data,
    open_source,
    upload_body,
)
from tests.unit.transfer.common import (
    DATA,
    FakeTTY,
    pipe_with,
    sha512,
)


def test_file_upload_has_content_length_and_arrives_intact(
        server: tuple[str, LoopbackGlance], tmp_path: Path) -> None:
    url, behaviour = server
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    body = upload_body(source)
    assert isinstance(body, SizedUploadBody)
    response = requests.put(url + "file", data=body, timeout=10)
    assert response.status_code == 204
    seen = behaviour.requests[-1]
    assert seen["headers"].get("Content-Length") == str(len(DATA))
    assert "Transfer-Encoding" not in seen["headers"]
    assert seen["body"] == DATA
    assert body.bytes_sent == len(DATA) and body.complete
    assert body.hexdigest() == sha512(DATA)


def test_piped_upload_is_chunked_and_arrives_intact(server: tuple[str, LoopbackGlance]) -> None:
    url, behaviour = server
    meter = FakeTTY()
    with pipe_with(DATA) as stdin:
        source = open_source(None, stdin)
        assert source is not None
        body = upload_body(source, progress=Progress(None, "uploading", meter), md5=True)
        assert not hasattr(body, "__len__")
        requests.put(url + "file", data=body, timeout=10)
    seen = behaviour.requests[-1]
    assert seen["headers"].get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in seen["headers"]
    assert seen["body"] == DATA
    assert body.hexdigest() == sha512(DATA)
    assert body.hexdigest("md5") == hashlib.md5(DATA).hexdigest()
    # No total for a pipe: bytes and rate only, and the line cleared at the end.
    assert meter.getvalue().startswith("\r\x1b[Kuploading 1.0 MiB  ")
    assert "left" not in meter.getvalue() and meter.getvalue().endswith("\r\x1b[K")


def test_upload_body_refuses_a_second_send(server: tuple[str, LoopbackGlance],
                                           tmp_path: Path) -> None:
    url, behaviour = server
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    body = upload_body(source)
    requests.put(url + "file", data=body, timeout=10)
    with pytest.raises(ImgcliError, match="cannot be sent again"):
        requests.put(url + "file", data=body, timeout=10)
    time.sleep(0.1)  # the server's thread records what the second try sent, if anything
    first, *again = behaviour.requests
    assert first["body"] == DATA
    # The headers of the second try may have gone out, but never a body the server could
    # take for complete: it is shorter than its Content-Length.
    assert all(len(seen["body"]) < len(DATA) for seen in again)


def test_keystoneauth_retry_of_a_stream_raises_instead_of_sending_short(
        tmp_path: Path) -> None:
    """A server that drops the first connection: keystoneauth's connect retry would send
    the body again, from where the first try stopped."""
    from keystoneauth1 import session as ks_session

    seen: list[int] = []

    class Dropper(QuietHandler):
        def do_PUT(self) -> None:
            seen.append(len(self.rfile.read(1000)))
            self.close_connection = True  # no answer at all

    httpd = serve(Dropper)
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    try:
        with pytest.raises(ImgcliError, match="cannot be sent again"):
            ks_session.Session().request(
                f"http://127.0.0.1:{httpd.server_address[1]}/file", "PUT",
                data=upload_body(source), connect_retries=1, connect_retry_delay=0.01,
                authenticated=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert seen[:1] == [1000]


def test_documented_put_options_override_the_image_adapters_retries(tmp_path: Path) -> None:
    """imgcli's image adapter retries 503s: the upload's own options must switch that off
    (an explicit keyword beats the adapter's default), or the retry refuses to resend."""
    from keystoneauth1 import adapter, session

    puts: list[int] = []

    class Busy(QuietHandler):
        def do_PUT(self) -> None:
            puts.append(len(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = serve(Busy)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/file"
    images = adapter.Adapter(session.Session(), connect_retries=2, status_code_retries=2,
                             retriable_status_codes=[503], raise_exc=False)
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)

    def put(**options: Any) -> Any:
        source = open_source(str(path))
        assert source is not None
        return images.put(url, data=upload_body(source), authenticated=False,
                          status_code_retry_delay=0.01, **options)

    try:
        with pytest.raises(ImgcliError, match="cannot be sent again"):
            put()
        reply = put(connect_retries=0, status_code_retries=0, allow_reauth=False,
                    redirect=False)
        assert reply.status_code == 503
        # Two whole bodies, one per put(); the refused retry sent headers at most.
        time.sleep(0.1)
        assert [n for n in puts if n == len(DATA)] == [len(DATA)] * 2
        assert len(puts) <= 3
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_file_that_shrinks_while_sent_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    source.size = len(DATA) + 10  # as if it had been truncated after open
    with pytest.raises(ImgcliError, match="shrank while it was being sent"):
        b"".join(upload_body(source))


def sent_body(data: bytes, tmp_path: Path, **kwargs: Any) -> Any:
    path = tmp_path / "disk.img"
    path.write_bytes(data)
    source = open_source(str(path))
    assert source is not None
    body = upload_body(source, **kwargs)
    assert b"".join(body) == data
    return body


def test_check_upload(tmp_path: Path) -> None:
    body = sent_body(DATA, tmp_path, md5=True)
    good = {"size": len(DATA), "os_hash_algo": "sha512", "os_hash_value": sha512(DATA),
            "checksum": hashlib.md5(DATA).hexdigest()}
    assert check_upload(body, good) is None
    with pytest.raises(ApiError, match="Glance's sha512 .* but the data sent hashes to"):
        check_upload(body, {**good, "os_hash_value": sha512(b"other")})
    with pytest.raises(ApiError, match="Glance stored 5 bytes"):
        check_upload(body, {**good, "size": 5})
    # A cloud configured for another algorithm: the md5 checksum still verifies...
    assert check_upload(body, {**good, "os_hash_algo": "sha256", "os_hash_value": "ab"}) is None
    # ...unless it was not computed: then say so.
    plain = sent_body(DATA, tmp_path)
    warning = check_upload(plain, {**good, "os_hash_algo": "sha256", "os_hash_value": "ab"})
    assert warning and "could not be verified" in warning and "sha256" in warning


def test_upload_trace_summary_has_size_and_hash_not_bytes(tmp_path: Path) -> None:
    body = sent_body(b"\x00secret-bytes" * 100, tmp_path)
    summary = body.imgcli_data_summary
    assert summary == describe_data(1300, "application/octet-stream", "sha512",
                                    sha512(b"\x00secret-bytes" * 100))
    assert "secret" not in summary and summary.startswith("<image data: 1300 bytes, ")
