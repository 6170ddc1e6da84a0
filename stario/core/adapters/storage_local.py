"""Storage on the local filesystem, with HMAC-signed URLs that `stario web` serves."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from stario.core.errors import ObjectNotFoundError, ValidationFailed

MAX_KEY_BYTES = 1024
MAX_URL_LIFETIME = timedelta(days=7)
_METHODS = frozenset({"GET", "PUT"})


def validate_key(key: str) -> str:
    """Return `key` if it is a safe object key, else raise ValidationFailed.

    Shared by every adapter so that a key accepted by one backend is accepted by all.
    """
    if not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ValidationFailed(f"storage key must be 1 to {MAX_KEY_BYTES} bytes")
    if "\\" in key or any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise ValidationFailed(f"storage key has a backslash or control character: {key!r}")
    if key.startswith("/"):
        raise ValidationFailed(f"storage key must be relative: {key!r}")
    if any(segment in {"", ".", ".."} for segment in key.split("/")):
        raise ValidationFailed(f"storage key has an empty, '.' or '..' segment: {key!r}")
    return key


def check_expires(expires: timedelta) -> int:
    """Whole seconds of a presigned URL's lifetime: 1 second to 7 days, as S3 allows."""
    seconds = math.ceil(expires.total_seconds())
    if not 1 <= seconds <= MAX_URL_LIFETIME.total_seconds():
        raise ValidationFailed("a presigned URL must live between 1 second and 7 days")
    return seconds


def sign(secret: bytes, key: str, method: str, expires: int) -> str:
    message = f"{method}\n{expires}\n{key}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_presigned(
    secret: bytes, key: str, method: str, expires: int | str, signature: str, now: float
) -> bool:
    """Whether a URL made by LocalStorage is authentic, for this method, and not yet expired.

    Every argument but `secret` and `now` comes from the request, so anything malformed is
    simply False.
    """
    if method not in _METHODS:
        return False
    try:
        validate_key(key)
        expires_at = int(expires)
    except (ValidationFailed, ValueError):
        return False
    expected = sign(secret, key, method, expires_at)
    authentic = hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
    return authentic and now < expires_at


class LocalStorage:
    """Objects are files under `root`; `content_type` is not kept (serve by file extension)."""

    def __init__(self, root: Path, public_base_url: str, secret: bytes) -> None:
        self.root = Path(root)
        self._public_base_url = public_base_url.rstrip("/")
        self._secret = secret

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        await asyncio.to_thread(self._write, key, self._path(key), data)

    @staticmethod
    def _write(key: str, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
        except (FileExistsError, NotADirectoryError):
            raise ValidationFailed(
                f"storage key runs through an existing object: {key!r}"
            ) from None
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fchmod(file.fileno(), 0o644)
                os.fsync(file.fileno())
            os.replace(tmp_name, path)
        except IsADirectoryError:
            raise ValidationFailed(f"storage key is a prefix of other objects: {key!r}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFoundError(key) from None

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            await asyncio.to_thread(path.unlink)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete_older_than(self, prefix: str, age: timedelta) -> int:
        folder = self._path(prefix.rstrip("/"))
        return await asyncio.to_thread(
            _delete_files_older_than, folder, time.time() - age.total_seconds()
        )

    async def presigned_get_url(self, key: str, expires: timedelta) -> str:
        return self._presign(key, "GET", expires)

    async def presigned_put_url(self, key: str, expires: timedelta) -> str:
        return self._presign(key, "PUT", expires)

    def _presign(self, key: str, method: str, expires: timedelta) -> str:
        validate_key(key)
        expires_at = math.ceil(time.time()) + check_expires(expires)
        query = urlencode(
            {
                "expires": expires_at,
                "method": method,
                "signature": sign(self._secret, key, method, expires_at),
            }
        )
        return f"{self._public_base_url}/files/{quote(key, safe='/')}?{query}"


def _delete_files_older_than(folder: Path, cutoff: float) -> int:
    deleted = 0
    if not folder.is_dir():
        return 0
    for path in folder.rglob("*"):
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
    return deleted
