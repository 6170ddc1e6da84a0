"""Pick the storage adapter that STORAGE_URL names."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlparse

from pydantic import SecretStr

from stario.core.adapters.storage_local import LocalStorage
from stario.core.adapters.storage_s3 import S3Storage
from stario.core.ports.storage import Storage
from stario.core.settings import Settings, SettingsError

_SIGNING_LABEL = b"stario/local-storage/presigned-url"
_DEV_SECRET = b"stario-dev-only-local-storage-secret"


def build_storage(settings: Settings) -> Storage:
    """`file://PATH` gives LocalStorage, `s3://BUCKET` an S3Storage (call `ensure_bucket()`).

    Local presigned URLs point at WEBAPP_PUBLIC_URL, else at this host's web port, and are signed
    with `local_signing_secret(settings)`.
    """
    parsed = urlparse(settings.storage_url)
    if parsed.scheme == "file":
        return LocalStorage(
            Path(parsed.netloc + parsed.path),
            settings.webapp_public_url or f"http://127.0.0.1:{settings.web_port}",
            local_signing_secret(settings),
        )
    if parsed.scheme == "s3":
        if not settings.s3_endpoint:
            raise SettingsError("S3_ENDPOINT", "is required when STORAGE_URL is s3://")
        return S3Storage(
            bucket=parsed.netloc,
            endpoint=settings.s3_endpoint,
            access_key=_required(settings.s3_access_key, "S3_ACCESS_KEY"),
            secret_key=_required(settings.s3_secret_key, "S3_SECRET_KEY"),
            region=settings.s3_region,
        )
    raise SettingsError("STORAGE_URL", "must be file://PATH or s3://BUCKET")


def local_signing_secret(settings: Settings) -> bytes:
    """The key LocalStorage signs URLs with, and the web app checks them with.

    It is an HMAC of a fixed label under WEBHOOK_SECRET, else under BOT_TOKEN: every process
    reading the same environment derives the same key with no extra variable to set, and the key
    reveals nothing of the secret it comes from. With neither set (local development only) it is
    a fixed, public value, so such URLs then prove nothing.
    """
    for secret in (settings.webhook_secret, settings.bot_token):
        if secret is not None and secret.get_secret_value():
            return hmac.new(
                secret.get_secret_value().encode(), _SIGNING_LABEL, hashlib.sha256
            ).digest()
    return _DEV_SECRET


def _required(value: SecretStr | None, variable: str) -> str:
    if value is None or not value.get_secret_value():
        raise SettingsError(variable, "is required when STORAGE_URL is s3://")
    return value.get_secret_value()
