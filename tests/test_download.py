import http.server
import threading
import urllib.parse

import pytest

from rsseg.data import download
from rsseg.data.download import DownloadError, fetch, fetch_google_drive, file_digest, verify_checksum
from rsseg.data.sources import fetch_archive
from rsseg.errors import InputError


def test_fetch_http_verifies_checksum(tmp_path, http_server, tiny_archive):
    archive, sha = tiny_archive
    dest = fetch(f"{http_server}/{archive.name}", tmp_path / "copy.tar.gz", checksum=f"sha256:{sha}")
    assert file_digest(dest) == sha


def test_http_download_logs_its_progress(tmp_path, http_server, tiny_archive, caplog):
    archive, sha = tiny_archive
    size_mb = archive.stat().st_size / 1e6
    with caplog.at_level("INFO", logger="rsseg.data.download"):
        fetch(f"{http_server}/{archive.name}", tmp_path / "copy.tar.gz", checksum=f"sha256:{sha}")
    assert f"{archive.name}: {size_mb:.1f} of {size_mb:.1f} MB (100%)" in caplog.messages


def test_checksum_mismatch_names_source_and_leaves_nothing(tmp_path, http_server, tiny_archive):
    url = f"{http_server}/{tiny_archive[0].name}"
    with pytest.raises(InputError, match=rf"{url}: sha256 mismatch: expected 0{{64}}, found {tiny_archive[1]}"):
        fetch(url, tmp_path / "copy.tar.gz", checksum="sha256:" + "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_url_is_a_download_error(tmp_path, http_server):
    with pytest.raises(DownloadError, match=r"cannot download http://127\.0\.0\.1:\d+/missing\.zip: 404"):
        fetch(f"{http_server}/missing.zip", tmp_path / "x.zip")
    assert list(tmp_path.iterdir()) == []


def test_file_url_and_unknown_scheme(tmp_path, tiny_archive):
    dest = fetch(f"file://{tiny_archive[0]}", tmp_path / "a.tar.gz", checksum=f"sha256:{tiny_archive[1]}")
    verify_checksum(dest, f"sha256:{tiny_archive[1]}")
    with pytest.raises(DownloadError, match="unsupported source 'ftp://x'"):
        fetch("ftp://x", tmp_path / "b")


def test_md5_checksums_as_published(tmp_path, tiny_archive):
    archive = tiny_archive[0]
    md5 = file_digest(archive, "md5")
    fetch(archive.as_uri(), tmp_path / "a.tar.gz", checksum=f"md5:{md5}")
    with pytest.raises(InputError, match=rf"md5 mismatch: expected {'0' * 32}, found {md5}"):
        fetch(archive.as_uri(), tmp_path / "b.tar.gz", checksum="md5:" + "0" * 32)
    with pytest.raises(ValueError, match="a checksum is written sha256:<hex> or md5:<hex>"):
        verify_checksum(archive, "crc32:abcd")


class FakeDrive(http.server.BaseHTTPRequestHandler):
    """Google Drive's two steps: ``/uc`` answers with a confirmation page whose form leads to ``/download``.

    The file ``big`` needs the confirmation; ``small`` is served at once; ``gone`` gets a page without a form
    (what Drive shows when the download quota is exceeded).
    """

    content = b"the archive's bytes"

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/uc" and query.get("id") == "big":
            self.reply("text/html", b'<html><form id="download-form" action="/download" method="get">'
                                    b'<input type="hidden" name="id" value="big"><input type="hidden" name="export" '
                                    b'value="download"><input type="hidden" name="confirm" value="t"><input '
                                    b'type="hidden" name="uuid" value="123"></form></html>')
        elif url.path == "/download" and query == {"id": "big", "export": "download", "confirm": "t", "uuid": "123"}:
            self.reply("application/octet-stream", self.content)
        elif url.path == "/uc" and query.get("id") == "small":
            self.reply("application/zip", self.content)
        elif url.path == "/uc":
            self.reply("text/html", b"<html><p>Too many users have viewed or downloaded this file recently.</p></html>")
        else:
            self.send_error(404)

    def reply(self, content_type, body):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fake_drive():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeDrive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/uc"
    server.shutdown()


@pytest.mark.parametrize("file_id", ["big", "small"])
def test_google_drive_confirmation_page_is_answered(tmp_path, fake_drive, file_id):
    fetch_google_drive(file_id, tmp_path / "gid-15.zip", endpoint=fake_drive)
    assert (tmp_path / "gid-15.zip").read_bytes() == FakeDrive.content


def test_a_drive_page_without_a_download_form_falls_back_to_the_manual_copy(tmp_path, fake_drive, monkeypatch):
    with pytest.raises(DownloadError, match="Drive answered with a page without a download form"):
        fetch_google_drive("gone", tmp_path / "x.zip", endpoint=fake_drive)
    monkeypatch.setattr(download, "GOOGLE_DRIVE_DOWNLOAD", fake_drive)
    copy = tmp_path / "downloads" / "gid-15.zip"
    with pytest.raises(InputError, match=rf"^{copy}: missing and cannot download Google Drive file gone: .*; place a "
                                         rf"manual copy \(md5:{'0' * 32}\) at {copy} and rerun$"):
        fetch_archive("https://drive.google.com/file/d/gone", "md5:" + "0" * 32, copy)
    assert not copy.exists()
