"""Image data: read once, hashed as it passes, sent or written; progress on a terminal.

Upload (image create --file/--url, image stage; sources.py says how sources stack)::

    source = open_source(path_or_dash_or_None)            # before any request; None: no data
    source = read_ahead(decompressed(tapped(source, "sha256", hexdigest)))   # as asked
    body = upload_body(source, progress=Progress(source.size, "uploading"))
    session.put(url, data=body, headers={"Content-Type": "application/octet-stream"},
                connect_retries=0, status_code_retries=0, allow_reauth=False, redirect=False)
    warning = check_upload(body, get_image(...))           # raises ApiError on a mismatch

Download (image save)::

    check_destination(path)                                # before any request
    download = prepare_download(path, image_id, Expected.from_image(image), progress,
                                check=parse_expected_checksum(text))   # check: optional
    response = session.get(url, headers=download.headers, stream=True)
    result = download.save(response)   # into partial.py's file, verify.py's Checks, renamed

The commands use them through Glance's calls (glance.py): upload_data() (the PUT, sent
once, a broken connection worded as how far it got), save_data() (the record's status
checked, then the verified GET), discard() (delete a half-made image and say so); and
importing.py: import_body() and wait_for_import() (poll until the import lock is gone).

Imports: imgcli.transfer.destination, imgcli.transfer.download, imgcli.transfer.glance,
imgcli.transfer.hashing, imgcli.transfer.importing, imgcli.transfer.progress,
imgcli.transfer.sources, imgcli.transfer.upload.
"""

from imgcli.transfer.destination import check_destination, part_path
from imgcli.transfer.download import Download, SaveResult, prepare_download
from imgcli.transfer.glance import create_image, discard, no_data, save_data, upload_data
from imgcli.transfer.hashing import BLOCK, DEFAULT_ALGORITHM, Expected, describe_data
from imgcli.transfer.importing import StillImporting, import_body, wait_for_import
from imgcli.transfer.progress import Progress, StatusLine
from imgcli.transfer.sources import Source, open_source
from imgcli.transfer.upload import SizedUploadBody, UploadBody, check_upload, upload_body

__all__ = [
    "BLOCK", "DEFAULT_ALGORITHM", "Download", "Expected", "Progress", "SaveResult",
    "SizedUploadBody", "Source", "StatusLine", "StillImporting", "UploadBody",
    "check_destination", "check_upload", "create_image", "describe_data", "discard", "import_body",
    "no_data", "open_source", "part_path", "prepare_download", "save_data", "upload_body",
    "upload_data", "wait_for_import",
]
