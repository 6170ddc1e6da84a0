"""LocalStorage on a real temporary directory, and the signed URLs it hands out."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from stario.core.adapters.storage_factory import build_storage, local_signing_secret
from stario.core.adapters.storage_local import LocalStorage, verify_presigned
from stario.core.errors import ObjectNotFoundError, ValidationFailed
from stario.core.ports.storage import Storage
from stario.core.settings import Settings

SECRET = b"test-secret"
BASE_URL = "https://stario.example"

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/..",
    "..",
    ".",
    "./a",
    "a/./b",
    "a//b",
    "a/",
    "a\\b",
    "..\\outside",
    "a\x00b",
    "a\nb",
    "x" * 1025,
]


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "data", BASE_URL + "/", SECRET)


def _signed_parts(url: str) -> tuple[str, str, str, str]:
    """(key, method, expires, signature) of a presigned URL, as the web app will read them."""
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert parts.path.startswith("/files/")
    key = unquote(parts.path.removeprefix("/files/"))
    return key, query["method"], query["expires"], query["signature"]


def _leftovers(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.endswith(".tmp")]


def test_satisfies_the_port(storage: LocalStorage) -> None:
    port: Storage = storage
    assert port is storage


async def test_put_get_exists_delete(storage: LocalStorage, tmp_path: Path) -> None:
    key = "results/42/video.mp4"
    assert not await storage.exists(key)

    await storage.put(key, b"hello", "video/mp4")

    assert await storage.exists(key)
    assert await storage.get(key) == b"hello"
    assert (tmp_path / "data" / "results" / "42" / "video.mp4").read_bytes() == b"hello"

    await storage.delete(key)

    assert not await storage.exists(key)
    with pytest.raises(ObjectNotFoundError):
        await storage.get(key)


async def test_missing_key(storage: LocalStorage) -> None:
    with pytest.raises(ObjectNotFoundError):
        await storage.get("nothing/here.bin")
    assert not await storage.exists("nothing/here.bin")
    await storage.delete("nothing/here.bin")


async def test_overwrite_and_binary_content(storage: LocalStorage) -> None:
    payload = os.urandom(3 * 1024 * 1024) + bytes(range(256))
    await storage.put("blob.bin", b"old")
    await storage.put("blob.bin", payload)
    assert await storage.get("blob.bin") == payload
    await storage.put("blob.bin", b"")
    assert await storage.get("blob.bin") == b""


async def test_unicode_and_spaced_keys(storage: LocalStorage) -> None:
    key = "artists/Юлдуз Усмонова/photo 1.jpg"
    await storage.put(key, b"jpeg")
    assert await storage.get(key) == b"jpeg"
    url = await storage.presigned_get_url(key, timedelta(minutes=5))
    assert " " not in url
    assert _signed_parts(url)[0] == key


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_refused(storage: LocalStorage, tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationFailed):
        await storage.put(key, b"x")
    with pytest.raises(ValidationFailed):
        await storage.get(key)
    with pytest.raises(ValidationFailed):
        await storage.exists(key)
    with pytest.raises(ValidationFailed):
        await storage.delete(key)
    with pytest.raises(ValidationFailed):
        await storage.presigned_get_url(key, timedelta(minutes=1))
    with pytest.raises(ValidationFailed):
        await storage.presigned_put_url(key, timedelta(minutes=1))
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def test_object_and_prefix_cannot_share_a_name(storage: LocalStorage) -> None:
    await storage.put("a/b", b"nested")
    with pytest.raises(ValidationFailed):
        await storage.put("a", b"would hide a/b")
    assert not await storage.exists("a")
    with pytest.raises(ObjectNotFoundError):
        await storage.get("a")
    await storage.delete("a")
    assert await storage.get("a/b") == b"nested"

    await storage.put("c", b"file")
    with pytest.raises(ValidationFailed):
        await storage.put("c/d", b"under a file")
    with pytest.raises(ObjectNotFoundError):
        await storage.get("c/d")
    assert await storage.get("c") == b"file"


async def test_overwrite_leaves_no_temp_files(storage: LocalStorage, tmp_path: Path) -> None:
    for round_ in range(5):
        await storage.put("jobs/1/out.png", bytes([round_]) * 1000)
    assert _leftovers(tmp_path) == []
    assert [path.name for path in (tmp_path / "data" / "jobs" / "1").iterdir()] == ["out.png"]


async def test_failed_write_keeps_old_object(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await storage.put("poster.png", b"old poster")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        await storage.put("poster.png", b"new poster")
    monkeypatch.undo()

    assert await storage.get("poster.png") == b"old poster"
    assert _leftovers(tmp_path) == []


async def test_readers_never_see_a_partial_object(storage: LocalStorage) -> None:
    size = 2 * 1024 * 1024
    versions = {b"a" * size, b"b" * size}
    await storage.put("hot.bin", b"a" * size)

    async def write() -> None:
        for round_ in range(10):
            await storage.put("hot.bin", (b"a" if round_ % 2 else b"b") * size)

    async def read() -> None:
        for _ in range(20):
            assert await storage.get("hot.bin") in versions

    await asyncio.gather(write(), write(), read(), read())


async def test_presigned_get_url_shape_and_verification(storage: LocalStorage) -> None:
    url = await storage.presigned_get_url("results/7/video.mp4", timedelta(minutes=10))

    assert url.startswith(f"{BASE_URL}/files/results/7/video.mp4?expires=")
    key, method, expires, signature = _signed_parts(url)
    assert (key, method) == ("results/7/video.mp4", "GET")
    assert len(signature) == 64
    now = int(expires) - 600
    assert verify_presigned(SECRET, key, method, expires, signature, now)
    assert verify_presigned(SECRET, key, method, int(expires), signature, now + 599)


async def test_presigned_put_url_is_for_put_only(storage: LocalStorage) -> None:
    url = await storage.presigned_put_url("selfies/9.jpg", timedelta(seconds=30))
    key, method, expires, signature = _signed_parts(url)
    now = int(expires) - 30

    assert method == "PUT"
    assert verify_presigned(SECRET, key, "PUT", expires, signature, now)
    assert not verify_presigned(SECRET, key, "GET", expires, signature, now)


async def test_verify_presigned_rejects_tampering(storage: LocalStorage) -> None:
    url = await storage.presigned_get_url("results/7/video.mp4", timedelta(minutes=10))
    key, method, expires, signature = _signed_parts(url)
    now = int(expires) - 60
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

    assert verify_presigned(SECRET, key, method, expires, signature, now)
    assert not verify_presigned(SECRET, key, method, expires, flipped, now)
    assert not verify_presigned(SECRET, key, method, expires, signature.upper(), now)
    assert not verify_presigned(SECRET, key, method, expires, "", now)
    assert not verify_presigned(SECRET, key, method, expires, "ünïcode", now)
    assert not verify_presigned(SECRET, "results/8/video.mp4", method, expires, signature, now)
    assert not verify_presigned(SECRET, key, "PUT", expires, signature, now)
    assert not verify_presigned(SECRET, key, "get", expires, signature, now)
    assert not verify_presigned(SECRET, key, method, int(expires) + 3600, signature, now)
    assert not verify_presigned(SECRET, key, method, "soon", signature, now)
    assert not verify_presigned(b"other-secret", key, method, expires, signature, now)
    assert not verify_presigned(SECRET, "../etc/passwd", method, expires, signature, now)


async def test_verify_presigned_rejects_expired(storage: LocalStorage) -> None:
    url = await storage.presigned_get_url("a.txt", timedelta(seconds=5))
    key, method, expires, signature = _signed_parts(url)

    assert verify_presigned(SECRET, key, method, expires, signature, int(expires) - 0.5)
    assert not verify_presigned(SECRET, key, method, expires, signature, int(expires))
    assert not verify_presigned(SECRET, key, method, expires, signature, int(expires) + 3600)


@pytest.mark.parametrize(
    "lifetime", [timedelta(0), timedelta(seconds=-5), timedelta(days=7, seconds=1)]
)
async def test_presigned_lifetime_must_be_sane(storage: LocalStorage, lifetime: timedelta) -> None:
    with pytest.raises(ValidationFailed):
        await storage.presigned_get_url("a.txt", lifetime)
    with pytest.raises(ValidationFailed):
        await storage.presigned_put_url("a.txt", lifetime)


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_factory_builds_local_storage(tmp_path: Path) -> None:
    settings = _settings(
        storage_url=f"file://{tmp_path}/files",
        webapp_public_url="https://app.example/",
        webhook_secret="hook-secret",
    )
    storage = build_storage(settings)

    assert isinstance(storage, LocalStorage)
    await storage.put("k.txt", b"v")
    assert (tmp_path / "files" / "k.txt").read_bytes() == b"v"
    url = await storage.presigned_get_url("k.txt", timedelta(minutes=1))
    assert url.startswith("https://app.example/files/k.txt?")
    key, method, expires, signature = _signed_parts(url)
    secret = local_signing_secret(settings)
    assert verify_presigned(secret, key, method, expires, signature, int(expires) - 1)
    assert not verify_presigned(b"hook-secret", key, method, expires, signature, int(expires) - 1)


async def test_factory_defaults_to_the_local_web_port(tmp_path: Path) -> None:
    storage = build_storage(_settings(storage_url=f"file://{tmp_path}", web_port=9000))
    url = await storage.presigned_get_url("k.txt", timedelta(minutes=1))
    assert url.startswith("http://127.0.0.1:9000/files/k.txt?")


def test_factory_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage = build_storage(_settings(storage_url="file://./data"))
    assert isinstance(storage, LocalStorage)
    assert storage.root == Path("data")


def test_signing_secret_follows_settings() -> None:
    hook = local_signing_secret(_settings(webhook_secret="hook", bot_token="1:token"))
    token = local_signing_secret(_settings(bot_token="1:token"))
    dev = local_signing_secret(_settings())

    assert hook == local_signing_secret(_settings(webhook_secret="hook"))
    assert token == local_signing_secret(_settings(webhook_secret="", bot_token="1:token"))
    assert len({hook, token, dev}) == 3
    assert hook != b"hook"
    assert token != b"1:token"


async def test_delete_older_than_removes_only_old_objects_under_the_prefix(
    storage: LocalStorage, tmp_path: Path
) -> None:
    await storage.put("selfies/old", b"a")
    await storage.put("selfies/new", b"b")
    await storage.put("results/old", b"c")
    an_hour_ago = time.time() - 3600
    for key in ("selfies/old", "results/old"):
        os.utime(tmp_path / "data" / key, (an_hour_ago, an_hour_ago))

    assert await storage.delete_older_than("selfies/", timedelta(minutes=10)) == 1

    assert not await storage.exists("selfies/old")
    assert await storage.exists("selfies/new")
    assert await storage.exists("results/old")
    assert await storage.delete_older_than("nothing-here/", timedelta(0)) == 0
