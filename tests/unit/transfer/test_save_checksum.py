"""`--expect-checksum ALGO:HEX` on the download side: the parser the upload side shares,
and a save checked against the publisher's checksum in the same pass as Glance's hash (the
loopback LoopbackGlance); on a mismatch the destination stays exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fakecloud.data import LoopbackGlance
from imgcli.errors import ExitStatus, ImgcliError, UsageError
from imgcli.transfer import Expected, prepare_download
from imgcli.transfer.hashing import EXPECTABLE, parse_expected_checksum
from tests.unit.transfer.common import DATA, IMAGE_ID, expected, get, leftovers

SHA256 = hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize("algorithm", sorted(EXPECTABLE))
def test_each_algorithm_parses_in_any_case(algorithm: str) -> None:
    digest = hashlib.new(algorithm, DATA).hexdigest()
    assert parse_expected_checksum(f"{algorithm.upper()}:{digest.upper()}") == \
        (algorithm, digest)
    assert parse_expected_checksum(f" {algorithm}:{digest}\n") == (algorithm, digest)


@pytest.mark.parametrize("text, says", [
    (SHA256, "takes ALGO:HEX"),  # no algorithm at all
    ("", "takes ALGO:HEX"),
    (f"sha384:{SHA256}", "unknown algorithm 'sha384'"),
    (f"sha-256:{SHA256}", "unknown algorithm 'sha-256'"),
    (f":{SHA256}", "unknown algorithm ''"),
    ("sha256:", "must be hexadecimal"),
    ("sha256:" + "g" * 64, "must be hexadecimal"),
    ("sha256:" + "0x" + "a" * 62, "must be hexadecimal"),
    ("sha256:" + "a" * 63, "has 64 hex digits, not 63"),
    ("sha256:" + "a" * 65, "has 64 hex digits, not 65"),
    ("md5:" + SHA256, "has 32 hex digits, not 64"),
    ("sha512:" + SHA256, "has 128 hex digits, not 64"),
    ("sha1:" + "a" * 32, "has 40 hex digits, not 32"),
])
def test_each_malformed_form_is_a_usage_error(text: str, says: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_expected_checksum(text)
    assert err.value.exit_status == ExitStatus.USAGE
    assert str(err.value).startswith("--expect-checksum") and says in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("existing", [b"the old image\n", None], ids=["existing", "new"])
def test_a_matching_checksum_saves_and_is_hashed_beside_glances(
        server: tuple[str, LoopbackGlance], tmp_path: Path, existing: bytes | None) -> None:
    url, _ = server
    dest = tmp_path / "out.img"
    if existing is not None:
        dest.write_bytes(existing)
    download = prepare_download(str(dest), IMAGE_ID, expected(), check=("sha256", SHA256))
    assert download.algorithms == ("sha512", "sha256")  # one thread, both hashes
    result = download.save(get(url))
    assert result.verified and result.algorithm == "sha512"
    assert download.digests["sha256"] == SHA256
    assert dest.read_bytes() == DATA and leftovers(tmp_path) == []


@pytest.mark.parametrize("existing", [b"the old image\n", None], ids=["existing", "new"])
def test_a_mismatching_checksum_leaves_the_destination_as_it_was(
        server: tuple[str, LoopbackGlance], tmp_path: Path, existing: bytes | None) -> None:
    url, _ = server
    dest = tmp_path / "out.img"
    if existing is not None:
        dest.write_bytes(existing)
    wrong = hashlib.sha256(b"another release").hexdigest()
    download = prepare_download(str(dest), IMAGE_ID, expected(), check=("sha256", wrong))
    with pytest.raises(ImgcliError) as err:
        download.save(get(url))
    line = str(err.value)
    assert f"expected sha256:{wrong}, got sha256:{SHA256}" in line  # both values, whole
    state = f"{dest} is unchanged" if existing is not None else f"{dest} was not created"
    assert line.endswith(f"; {state} and the partial file was removed") and "\n" not in line
    assert (dest.read_bytes() if dest.exists() else None) == existing
    assert leftovers(tmp_path) == []


def test_the_same_algorithm_as_glance_is_hashed_once(server: tuple[str, LoopbackGlance],
                                                     tmp_path: Path) -> None:
    url, _ = server
    sha512 = hashlib.sha512(DATA).hexdigest()
    download = prepare_download(str(tmp_path / "a.img"), IMAGE_ID, expected(),
                                check=("sha512", sha512))
    assert download.algorithms == ("sha512",)
    assert download.save(get(url)).verified


def test_a_checksum_verifies_an_image_glance_has_no_hash_for(
        server: tuple[str, LoopbackGlance], tmp_path: Path) -> None:
    url, _ = server
    nothing = Expected.from_image({"os_hash_algo": None, "checksum": None})
    result = prepare_download(str(tmp_path / "a.img"), IMAGE_ID, nothing,
                              check=("sha256", SHA256)).save(get(url))
    assert result.verified and (result.algorithm, result.hexdigest) == ("sha256", SHA256)


def test_a_resumed_download_checks_the_kept_bytes_too(server: tuple[str, LoopbackGlance],
                                                      tmp_path: Path) -> None:
    url, glance = server
    dest = tmp_path / "out.img"
    glance.cut_after = len(DATA) // 2
    first = prepare_download(str(dest), IMAGE_ID, expected(), check=("sha256", SHA256))
    with pytest.raises(ImgcliError):
        first.save(get(url))
    assert first.kept_partial and first.kept_bytes == Path(first.kept_partial).stat().st_size
    glance.cut_after = None
    again = prepare_download(str(dest), IMAGE_ID, expected(), check=("sha256", SHA256))
    assert again.offset == first.kept_bytes  # the kept bytes were hashed with both
    result = again.save(get(url, again.headers))
    assert result.resumed_from == first.kept_bytes and dest.read_bytes() == DATA


def test_a_mismatch_on_stdout_says_to_discard_what_was_written(
        server: tuple[str, LoopbackGlance], tmp_path: Path) -> None:
    import io

    url, _ = server
    out = io.BytesIO()
    wrong = hashlib.md5(b"x").hexdigest()
    download = prepare_download(None, IMAGE_ID, expected(), stdout=out, check=("md5", wrong))
    with pytest.raises(ImgcliError) as err:
        download.save(get(url))
    assert "what was written to stdout is not the image the checksum describes: discard it" \
        in str(err.value)
    assert out.getvalue() == DATA
