"""Object storage port: results, artist photos, short-lived selfies."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol


class Storage(Protocol):
    """Async object storage. Keys are relative, '/'-separated, without '..' segments."""

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None: ...

    async def get(self, key: str) -> bytes:
        """The object's bytes; raises ObjectNotFoundError when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete_older_than(self, prefix: str, age: timedelta) -> int:
        """Remove every object under `prefix` last written more than `age` ago; how many."""
        ...

    async def presigned_get_url(self, key: str, expires: timedelta) -> str: ...

    async def presigned_put_url(self, key: str, expires: timedelta) -> str: ...
