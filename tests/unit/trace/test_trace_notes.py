"""The explicit hook by which the trace learns what an image-data body was
(imgcli.trace.notes): the transfer code notes it, an attached Recorder shows it, nothing is
left on requests' Response."""

from __future__ import annotations

import gc
import hashlib

import requests
import requests_mock

from imgcli.trace import notes
from imgcli.trace.recorder import Recorder
from imgcli.transfer import describe_data, prepare_download
from imgcli.transfer.hashing import Expected

URL = "http://glance.test/v2/images/abc/file"
DATA = b"\x00image bytes\xff" * 1000


def test_a_note_reaches_every_attached_recorder_and_only_for_its_carrier():
    first, second = Recorder(["imgcli"]), Recorder(["imgcli"])
    for recorder in (first, second):
        recorder.attach(requests.Session())
    carrier, other = object(), object()
    notes.note_data(carrier, "<image data: 3 bytes, not hashed>")
    assert first.noted(carrier) == second.noted(carrier) == "<image data: 3 bytes, not hashed>"
    assert first.noted(other) is None


def test_a_recorder_that_is_gone_stops_listening():
    recorder = Recorder(["imgcli"])
    recorder.attach(requests.Session())
    listening = len(notes._listeners)
    del recorder
    gc.collect()
    notes.note_data(object(), "x")  # drops the dead references (earlier tests' too)
    assert len(notes._listeners) < listening
    assert all(ref() is not None for ref in notes._listeners)


def test_a_download_is_shown_by_its_note_and_leaves_no_attribute(tmp_path):
    recorder = Recorder(["imgcli", "image", "save"])
    session = requests.Session()
    recorder.attach(session)
    image = {"os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(DATA).hexdigest(),
             "size": len(DATA)}
    with requests_mock.Mocker(session=session) as m:
        m.get(URL, content=DATA, headers={"Content-Type": "application/octet-stream",
                                          "Content-Length": str(len(DATA))})
        response = session.get(URL, stream=True)
        download = prepare_download(str(tmp_path / "o"), "abc", Expected.from_image(image))
        download.save(response)
    summary = describe_data(len(DATA), "application/octet-stream", "sha512",
                            hashlib.sha512(DATA).hexdigest())
    assert download.summary(response) == summary
    assert recorder.noted(response) == summary
    assert not hasattr(response, "imgcli_data_summary")
    assert summary in recorder.render_markdown()
    assert "image bytes" not in recorder.render_markdown()
