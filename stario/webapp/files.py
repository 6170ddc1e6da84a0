"""Serves LocalStorage's presigned URLs (`file://` storage only; S3 serves its own)."""

from __future__ import annotations

import mimetypes
import time

from aiohttp import web

from stario.core.adapters.storage_factory import local_signing_secret
from stario.core.adapters.storage_local import LocalStorage, verify_presigned
from stario.core.errors import ObjectNotFoundError
from stario.webapp.health import RUNTIME

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _authorised(request: web.Request, method: str) -> tuple[LocalStorage, str]:
    runtime = request.app[RUNTIME]
    storage = runtime.storage
    key = request.match_info["key"]
    query = request.query
    if not isinstance(storage, LocalStorage) or not verify_presigned(
        local_signing_secret(runtime.settings),
        key,
        method,
        query.get("expires", ""),
        query.get("signature", ""),
        now=int(time.time()),
    ):
        raise web.HTTPForbidden(text="link expired or invalid")
    if query.get("method", method) != method:
        raise web.HTTPForbidden(text="link expired or invalid")
    return storage, key


async def get_file(request: web.Request) -> web.Response:
    storage, key = _authorised(request, "GET")
    try:
        data = await storage.get(key)
    except ObjectNotFoundError:
        raise web.HTTPNotFound(text="no such file") from None
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return web.Response(body=data, content_type=content_type)


async def put_file(request: web.Request) -> web.Response:
    storage, key = _authorised(request, "PUT")
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_UPLOAD_BYTES, request.content_length or 0)
    data = await request.content.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_UPLOAD_BYTES, len(data))
    await storage.put(key, data, request.content_type)
    return web.Response(status=200)
