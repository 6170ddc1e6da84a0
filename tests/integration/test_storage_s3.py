"""S3Storage against moto's S3 server, over real HTTP."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from minio.error import S3Error

from stario.core.adapters.storage_factory import build_storage
from stario.core.adapters.storage_s3 import S3Storage
from stario.core.errors import ObjectNotFoundError, ValidationFailed
from stario.core.ports.storage import Storage
from stario.core.settings import Settings, SettingsError

ACCESS_KEY = "test-access"
SECRET_KEY = "test-secret"


def _new_storage(endpoint: str) -> S3Storage:
    return S3Storage(f"stario-{uuid.uuid4().hex[:16]}", endpoint, ACCESS_KEY, SECRET_KEY)


@pytest.fixture
async def storage(s3_endpoint: str) -> S3Storage:
    storage = _new_storage(s3_endpoint)
    await storage.ensure_bucket()
    return storage


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_satisfies_the_port(s3_endpoint: str) -> None:
    port: Storage = _new_storage(s3_endpoint)
    assert isinstance(port, S3Storage)


async def test_put_get_exists_delete(storage: S3Storage) -> None:
    key = "results/42/video.mp4"
    assert not await storage.exists(key)

    await storage.put(key, b"hello", "video/mp4")

    assert await storage.exists(key)
    assert await storage.get(key) == b"hello"

    await storage.delete(key)

    assert not await storage.exists(key)
    with pytest.raises(ObjectNotFoundError):
        await storage.get(key)


async def test_missing_key(storage: S3Storage) -> None:
    with pytest.raises(ObjectNotFoundError):
        await storage.get("nothing/here.bin")
    assert not await storage.exists("nothing/here.bin")
    await storage.delete("nothing/here.bin")


async def test_overwrite(storage: S3Storage) -> None:
    await storage.put("poster.png", b"old poster")
    await storage.put("poster.png", b"new poster")
    assert await storage.get("poster.png") == b"new poster"


async def test_binary_content_of_a_few_megabytes(storage: S3Storage) -> None:
    # Over minio's 5 MiB part size, so this goes up as a multipart upload.
    payload = os.urandom(6 * 1024 * 1024) + bytes(range(256))
    await storage.put("big.bin", payload)
    assert await storage.get("big.bin") == payload
    await storage.put("empty.bin", b"")
    assert await storage.get("empty.bin") == b""


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a/", "a\\b", "a\x00b"])
async def test_unsafe_keys_are_refused(storage: S3Storage, key: str) -> None:
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


async def test_presigned_get_is_downloadable(
    storage: S3Storage, http: aiohttp.ClientSession
) -> None:
    payload = os.urandom(256 * 1024)
    key = "results/7/Юлдуз video.mp4"
    await storage.put(key, payload, "video/mp4")

    url = await storage.presigned_get_url(key, timedelta(minutes=10))

    async with http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "video/mp4"
        assert await response.read() == payload


async def test_presigned_put_is_uploadable(
    storage: S3Storage, http: aiohttp.ClientSession
) -> None:
    payload = os.urandom(300 * 1024)
    url = await storage.presigned_put_url("selfies/9.jpg", timedelta(seconds=60))

    async with http.put(url, data=payload) as response:
        assert response.status == 200

    assert await storage.exists("selfies/9.jpg")
    assert await storage.get("selfies/9.jpg") == payload


async def test_presigned_urls_carry_their_lifetime(storage: S3Storage) -> None:
    # moto does not enforce X-Amz-Expires, so check what a real S3 server would enforce.
    before = time.gmtime()
    get_url = await storage.presigned_get_url("a.txt", timedelta(minutes=5))
    put_url = await storage.presigned_put_url("a.txt", timedelta(seconds=1.2))

    get_query, put_query = _query(get_url), _query(put_url)
    assert get_query["X-Amz-Expires"] == "300"
    assert put_query["X-Amz-Expires"] == "2"
    assert get_query["X-Amz-Date"] >= time.strftime("%Y%m%dT%H%M%SZ", before)
    assert urlsplit(get_url).path.endswith(f"/{storage.bucket}/a.txt")
    assert get_query["X-Amz-Signature"] != put_query["X-Amz-Signature"]


@pytest.mark.parametrize(
    "lifetime", [timedelta(0), timedelta(seconds=-5), timedelta(days=7, seconds=1)]
)
async def test_presigned_lifetime_must_be_sane(storage: S3Storage, lifetime: timedelta) -> None:
    with pytest.raises(ValidationFailed):
        await storage.presigned_get_url("a.txt", lifetime)
    with pytest.raises(ValidationFailed):
        await storage.presigned_put_url("a.txt", lifetime)


async def test_ensure_bucket_creates_it_once(s3_endpoint: str) -> None:
    storage = _new_storage(s3_endpoint)
    with pytest.raises(S3Error) as missing:
        await storage.put("k", b"v")
    assert missing.value.code == "NoSuchBucket"

    await storage.ensure_bucket()
    await storage.ensure_bucket()

    await storage.put("k", b"v")
    assert await storage.get("k") == b"v"


async def test_buckets_are_separate(storage: S3Storage, s3_endpoint: str) -> None:
    other = _new_storage(s3_endpoint)
    await other.ensure_bucket()
    await storage.put("shared-name", b"first")
    assert not await other.exists("shared-name")


async def test_endpoint_forms() -> None:
    cases = [
        (S3Storage("bucket", "minio.internal:9000", ACCESS_KEY, SECRET_KEY), "https"),
        (S3Storage("bucket", "http://127.0.0.1:9000/", ACCESS_KEY, SECRET_KEY), "http"),
        (S3Storage("bucket", "https://s3.example", ACCESS_KEY, SECRET_KEY), "https"),
        (
            S3Storage("bucket", "http://127.0.0.1:9000", ACCESS_KEY, SECRET_KEY, secure=True),
            "https",
        ),
    ]
    for storage, scheme in cases:
        url = urlsplit(await storage.presigned_get_url("k", timedelta(minutes=1)))
        assert url.scheme == scheme
    for endpoint in ("http://host/path", "ftp://host", "http://", "http://host?x=1"):
        with pytest.raises(ValueError, match="S3 endpoint"):
            S3Storage("bucket", endpoint, ACCESS_KEY, SECRET_KEY)
    with pytest.raises(ValueError, match="bucket name"):
        S3Storage("no", "http://127.0.0.1:9000", ACCESS_KEY, SECRET_KEY)


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_factory_builds_s3_storage(s3_endpoint: str) -> None:
    bucket = f"stario-{uuid.uuid4().hex[:16]}"
    storage = build_storage(
        _settings(
            storage_url=f"s3://{bucket}",
            s3_endpoint=s3_endpoint,
            s3_access_key=ACCESS_KEY,
            s3_secret_key=SECRET_KEY,
            s3_region="eu-central-1",
        )
    )

    assert isinstance(storage, S3Storage)
    assert storage.bucket == bucket
    await storage.ensure_bucket()
    await storage.put("k", b"v")
    assert await storage.get("k") == b"v"
    assert (
        "eu-central-1"
        in _query(await storage.presigned_get_url("k", timedelta(minutes=1)))["X-Amz-Credential"]
    )


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ("s3_endpoint", "S3_ENDPOINT"),
        ("s3_access_key", "S3_ACCESS_KEY"),
        ("s3_secret_key", "S3_SECRET_KEY"),
    ],
)
def test_factory_names_missing_s3_settings(missing: str, variable: str) -> None:
    values: dict[str, object] = {
        "storage_url": "s3://bucket",
        "s3_endpoint": "http://127.0.0.1:9000",
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
    }
    del values[missing]
    with pytest.raises(SettingsError) as error:
        build_storage(_settings(**values))
    assert error.value.variable == variable


async def test_delete_older_than_removes_only_old_objects_under_the_prefix(
    storage: S3Storage,
) -> None:
    await storage.put("selfies/a", b"a")
    await storage.put("selfies/b", b"b")
    await storage.put("results/a", b"c")

    assert await storage.delete_older_than("selfies/", timedelta(minutes=10)) == 0
    assert await storage.delete_older_than("selfies/", timedelta(seconds=-60)) == 2

    assert not await storage.exists("selfies/a")
    assert not await storage.exists("selfies/b")
    assert await storage.exists("results/a")
