import pytest

from rsseg.download import DownloadError, fetch, sha256_of, verify_sha256
from rsseg.errors import InputError


def test_fetch_http_verifies_checksum(tmp_path, http_server, tiny_archive):
    archive, sha = tiny_archive
    dest = fetch(f"{http_server}/{archive.name}", tmp_path / "copy.tar.gz", sha)
    assert sha256_of(dest) == sha


def test_http_download_logs_its_progress(tmp_path, http_server, tiny_archive, caplog):
    archive, sha = tiny_archive
    size_mb = archive.stat().st_size / 1e6
    with caplog.at_level("INFO", logger="rsseg.download"):
        fetch(f"{http_server}/{archive.name}", tmp_path / "copy.tar.gz", sha)
    assert f"{archive.name}: {size_mb:.1f} of {size_mb:.1f} MB (100%)" in caplog.messages


def test_checksum_mismatch_names_source_and_leaves_nothing(tmp_path, http_server, tiny_archive):
    url = f"{http_server}/{tiny_archive[0].name}"
    with pytest.raises(InputError, match=rf"{url}: sha256 mismatch: expected 0{{64}}, found {tiny_archive[1]}"):
        fetch(url, tmp_path / "copy.tar.gz", "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_url_is_a_download_error(tmp_path, http_server):
    with pytest.raises(DownloadError, match=r"cannot download http://127\.0\.0\.1:\d+/missing\.zip: 404"):
        fetch(f"{http_server}/missing.zip", tmp_path / "x.zip")
    assert list(tmp_path.iterdir()) == []


def test_file_url_and_unknown_scheme(tmp_path, tiny_archive):
    dest = fetch(f"file://{tiny_archive[0]}", tmp_path / "a.tar.gz", tiny_archive[1])
    verify_sha256(dest, tiny_archive[1])
    with pytest.raises(DownloadError, match="unsupported source 'ftp://x'"):
        fetch("ftp://x", tmp_path / "b")
