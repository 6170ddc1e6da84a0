"""Telegram Mini App `initData` validation (payments-spec §4.1, first-party HMAC check).

- `secret_key = HMAC_SHA256(key="WebAppData", message=bot_token)`;
- the data-check string is every received field except `hash` (so `signature`, when present,
  is included), URL-decoded, sorted by key, `key=value`, joined with "\\n";
- valid iff the hex HMAC_SHA256(key=secret_key, message=data-check string) equals `hash`,
  compared in constant time;
- `auth_date` must be present and no older than `max_age_s` (the app's choice: Telegram
  prescribes none), and not in the future beyond a small clock skew; the raw string is
  checked, never a re-serialised object, and no field list is hard-coded (launches from a
  direct link carry `chat_instance`, `start_param` and no `query_id`);
- a field given twice, a malformed query string or `user` that is not a JSON object with an
  integer `id` is invalid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from stario.core.errors import StarioError

MAX_INIT_DATA_BYTES = 8 * 1024
CLOCK_SKEW_S = 300


class InitDataError(StarioError):
    """`reason`: "invalid" (not signed by Telegram for this bot, or malformed) or "expired"."""

    key = "miniapp-error-unauthorized"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: int
    start_param: str | None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def validate(
    init_data: str, bot_token: str, *, max_age_s: int, now: float | None = None
) -> WebAppUser:
    """The Telegram user the initData was signed for, or InitDataError."""
    fields = _fields(init_data)
    received = fields.pop("hash", None)
    if received is None:
        raise InitDataError("invalid", "no hash")
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    expected = hmac.new(secret_key(bot_token), check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise InitDataError("invalid", "the hash does not match")
    auth_date = fields.get("auth_date", "")
    if not auth_date.isdigit() or len(auth_date) > 12:
        raise InitDataError("invalid", "no valid auth_date")
    age = (time.time() if now is None else now) - int(auth_date)
    if age > max_age_s:
        raise InitDataError("expired", f"auth_date is {int(age)} s old")
    if age < -CLOCK_SKEW_S:
        raise InitDataError("invalid", "auth_date is in the future")
    return _user(fields, int(auth_date))


def _fields(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data.encode()) > MAX_INIT_DATA_BYTES:
        raise InitDataError("invalid", "empty or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("invalid", "not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("invalid", "a field is given twice")
    return fields


def _user(fields: dict[str, str], auth_date: int) -> WebAppUser:
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise InitDataError("invalid", "user is not JSON") from None
    if not isinstance(user, dict):
        raise InitDataError("invalid", "user is not an object")
    user_id = user.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InitDataError("invalid", "user has no valid id")
    language = user.get("language_code")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name", "")),
        language_code=language if isinstance(language, str) else None,
        auth_date=auth_date,
        start_param=fields.get("start_param"),
    )
