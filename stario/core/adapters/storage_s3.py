"""Storage on S3 or any S3-compatible server (MinIO), through the synchronous `minio` SDK."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from minio import Minio
from minio.error import S3Error
from minio.helpers import check_bucket_name

from stario.core.adapters.storage_local import check_expires, validate_key
from stario.core.errors import ObjectNotFoundError

_MISSING = frozenset({"NoSuchKey", "NotFound"})


class S3Storage:
    """`endpoint` is `http(s)://host[:port]`, or a bare `host[:port]` that defaults to https."""

    def __init__(
        self,
        bucket: str,
        endpoint: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        secure: bool | None = None,
    ) -> None:
        parsed = urlparse(endpoint if "://" in endpoint else f"//{endpoint}")
        if not parsed.netloc or parsed.path not in {"", "/"} or parsed.query:
            raise ValueError(f"S3 endpoint must be scheme://host[:port], got {endpoint!r}")
        if parsed.scheme not in {"", "http", "https"}:
            raise ValueError(f"S3 endpoint must be http:// or https://, got {endpoint!r}")
        check_bucket_name(bucket)  # fail at start-up, not on the first upload
        self.bucket = bucket
        # The region is given so that minio never asks the server for the bucket's location.
        self._client = Minio(
            parsed.netloc,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            secure=parsed.scheme != "http" if secure is None else secure,
        )
        self._region = region

    async def ensure_bucket(self) -> None:
        """Create the bucket unless it exists; safe when several processes start at once."""
        await asyncio.to_thread(self._ensure_bucket)

    def _ensure_bucket(self) -> None:
        if self._client.bucket_exists(self.bucket):
            return
        try:
            self._client.make_bucket(self.bucket, location=self._region)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        validate_key(key)
        await asyncio.to_thread(
            self._client.put_object,
            self.bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
        )

    async def get(self, key: str) -> bytes:
        validate_key(key)
        try:
            return await asyncio.to_thread(self._read, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectNotFoundError(key) from None
            raise

    def _read(self, key: str) -> bytes:
        response = self._client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    async def delete(self, key: str) -> None:
        validate_key(key)
        await asyncio.to_thread(self._client.remove_object, self.bucket, key)

    async def delete_older_than(self, prefix: str, age: timedelta) -> int:
        validate_key(prefix.rstrip("/"))
        return await asyncio.to_thread(self._delete_older_than, prefix, age)

    def _delete_older_than(self, prefix: str, age: timedelta) -> int:
        cutoff = datetime.now(UTC) - age
        deleted = 0
        for item in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
            if item.object_name and item.last_modified and item.last_modified < cutoff:
                self._client.remove_object(self.bucket, item.object_name)
                deleted += 1
        return deleted

    async def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            await asyncio.to_thread(self._client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return False
            raise
        return True

    async def presigned_get_url(self, key: str, expires: timedelta) -> str:
        validate_key(key)
        lifetime = timedelta(seconds=check_expires(expires))
        return await asyncio.to_thread(
            self._client.presigned_get_object, self.bucket, key, expires=lifetime
        )

    async def presigned_put_url(self, key: str, expires: timedelta) -> str:
        validate_key(key)
        lifetime = timedelta(seconds=check_expires(expires))
        return await asyncio.to_thread(
            self._client.presigned_put_object, self.bucket, key, expires=lifetime
        )
