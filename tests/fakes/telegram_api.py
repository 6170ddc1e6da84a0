"""A fake Telegram Bot API server for tests, over real HTTP.

The bot, the web app and the workers talk to it exactly as to api.telegram.org: point
`TELEGRAM_API_URL` at `FakeTelegram.url` (aiogram:
`Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))`, or `make_bot()`).

It records every call (`calls`, `calls_of`, `last`, `wait_for`, `sent_texts`), keeps the chats as
a fan would see them (`chat_history`: edits applied, deletions gone), plays fans (`message`,
`photo`, `document`, `callback`, `press`, `pre_checkout`, `successful_payment`, `pay`,
`inline_query`, or raw `feed`), serves `getUpdates` long polling or pushes updates to a webhook
set with `setWebhook`, and injects faults (`fail_next`, `block_chat`, wrong token → 401).

Behaviour that mirrors Telegram, so tests catch the same mistakes production would:
- message ids grow per chat, shared by the fan's and the bot's messages;
- editing without a change → 400 "message is not modified"; editing or deleting an unknown
  message → 400 "message to edit/delete not found"; editMessageText on a media message → 400;
- text over 4096 characters or caption over 1024 → 400; callback_data over 64 bytes → 400;
- an upload over `max_upload_size` (50 MB) → 413; getFile on a file over 20 MB → 400;
- getUpdates while a webhook is set → 409; `allowed_updates` filters what is delivered;
- a second refundStarPayment of one charge → 400 CHARGE_ALREADY_REFUNDED;
- Stars payments (`successful_payment`, or `star_payment` for one whose update was lost) and
  refunds appear in getStarTransactions as Telegram lists them (a refund keeps the charge id,
  outgoing); createInvoiceLink checks a Stars invoice's title, description, payload and single
  price, and keeps the parameters of each link in `invoice_links`.

Async tests: `async with FakeTelegram() as tg: ...`. Sync tests (e.g. an RQ job run in the test's
thread): `with FakeTelegram() as tg: ...` runs the server on its own thread and loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import mimetypes
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

if TYPE_CHECKING:
    from types import TracebackType

    from aiogram import Bot

JSON = dict[str, Any]
Predicate = Callable[["Call"], bool]

DEFAULT_TOKEN = "123456:TEST-token"
MB = 1024 * 1024

DEFAULT_ERRORS: dict[int, str] = {
    400: "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance"
    " is running",
    413: "Request Entity Too Large",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# Form fields that are strings in the Bot API even when they look like numbers or JSON.
STRING_FIELDS = frozenset(
    "text caption data payload invoice_payload title description query start_parameter currency"
    " parse_mode url secret_token ip_address callback_query_id pre_checkout_query_id"
    " inline_query_id shipping_query_id telegram_payment_charge_id provider_token error_message"
    " next_offset button_text emoji message_effect_id business_connection_id name language_code"
    " photo video document animation audio voice video_note sticker thumbnail file_id"
    " first_name last_name phone_number vcard address question explanation performer".split()
)
SEND_PREFIXES = ("send", "copy", "forward", "edit")
MEDIA_KINDS = ("photo", "video", "animation", "document", "audio", "voice", "video_note")
UNIQUE_PREFIX = {
    "photo": "AgAC", "video": "BAAC", "animation": "CgAC", "document": "BQAC",
    "audio": "CQAC", "voice": "AwAC", "video_note": "DQAC", "thumbnail": "AAMC",
}  # fmt: skip
# Update types Telegram leaves out when allowed_updates is not set.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(frozen=True)
class User:
    """A fan (or admin) in tests; `to_dict()` is the Telegram `User` object."""

    id: int
    first_name: str = "Fan"
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    name: str  # multipart field name as sent (aiogram: a random key referenced as attach://key)
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One Bot API request. `files` is keyed by the parameter the upload belongs to: "video",
    "thumbnail", or "media.0.media" / "media.thumbnail" for uploads inside JSON parameters."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    token: str
    at: float
    failed: bool = False
    status: int = 200
    result: Any = None
    description: str | None = None

    @property
    def chat_id(self) -> Any:
        return _chat_id(self.params.get("chat_id"))

    def __str__(self) -> str:
        flag = f" -> {self.status} {self.description}" if self.failed else ""
        chat = f"(chat_id={self.chat_id})" if "chat_id" in self.params else ""
        return f"{self.method}{chat}{flag}"


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _File:
    file_id: str
    unique_id: str
    data: bytes
    path: str
    meta: Any = None  # the object a re-send by file_id returns (PhotoSize list for photos)


@dataclass
class _ApiError(Exception):
    status: int
    description: str
    retry_after: int | None = None

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _chat_id(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _coerce(key: str, value: str) -> Any:
    """A form value as the JSON value it stands for (numbers, booleans, objects, arrays)."""
    if key in STRING_FIELDS or value.startswith("attach://"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return None


def _jpeg(width: int = 64, height: int = 64) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _true(params: JSON, files: dict[str, Upload]) -> bool:
    return True  # what Telegram answers most "do something" methods with


def _update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


class FakeTelegram:
    """The fake Bot API server: `await start()` or `async with`; `with` runs it on a thread."""

    def __init__(
        self,
        token: str | None = DEFAULT_TOKEN,
        *,
        bot_username: str = "stario_test_bot",
        bot_name: str = "Stario",
    ) -> None:
        self.token = token  # None accepts any token
        head = (token or "").split(":")[0]
        self.bot_user: JSON = {
            "id": int(head) if head.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.url = ""
        self.calls: list[Call] = []
        self.star_transactions: list[JSON] = []  # getStarTransactions serves these
        self.invoice_links: dict[str, JSON] = {}  # link -> the createInvoiceLink parameters
        self.refunded: list[tuple[int, str]] = []  # (user_id, telegram_payment_charge_id)
        self.webhook: JSON | None = None  # the last setWebhook parameters while one is set
        self.webhook_deliveries: list[tuple[int, int | str]] = []  # (update_id, status/error)
        self.webhook_retry_delay = 0.2
        self.commands: dict[tuple[str, str, Any], list[JSON]] = {}  # (scope, lang, chat_id)
        self.menu_buttons: dict[Any, JSON] = {}  # chat_id (None = default) -> MenuButton
        self.max_upload_size = 50 * MB
        self._faults: dict[str, list[_Fault]] = {}
        self._blocked: set[Any] = set()
        self._users: dict[int, User] = {}
        self._chats: dict[Any, dict[int, JSON]] = {}
        self._last_message_id: dict[Any, int] = {}
        self._files: dict[str, _File] = {}
        self._paths: dict[str, str] = {}
        self._pending: list[JSON] = []
        self._allowed: list[str] | None = None
        self._next_update_id = 1
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._arrived = asyncio.Event()
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        media = {kind: partial(self._send_media, kind) for kind in MEDIA_KINDS}
        self._handlers: dict[str, Callable[[JSON, dict[str, Upload]], Any]] = {
            "getme": lambda p, f: self.bot_user,
            "logout": lambda p, f: True,
            "close": lambda p, f: True,
            "sendmessage": self._send_message,
            **{f"send{kind.replace('_', '')}": handler for kind, handler in media.items()},
            "sendmediagroup": self._send_media_group,
            "sendinvoice": self._send_invoice,
            "editmessagetext": self._edit_text,
            "editmessagecaption": self._edit_caption,
            "editmessagereplymarkup": lambda p, f: self._edit(p, {}),
            "editmessagemedia": self._edit_media,
            "deletemessage": self._delete_message,
            "deletemessages": lambda p, f: True,
            "createinvoicelink": self._create_invoice_link,
            "refundstarpayment": self._refund,
            "getstartransactions": self._star_transactions,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._webhook_info,
            "setmycommands": self._set_commands,
            "deletemycommands": self._delete_commands,
            "getmycommands": lambda p, f: self.commands.get(self._commands_key(p), []),
            "setchatmenubutton": self._set_menu_button,
            "getchatmenubutton": lambda p, f: self.menu_buttons.get(
                _chat_id(p.get("chat_id")), self.menu_buttons.get(None, {"type": "default"})
            ),
            "getfile": self._get_file,
            "getchat": self._get_chat,
        }

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Bind 127.0.0.1 on a free port; return the base URL (http://127.0.0.1:PORT)."""
        self._loop = asyncio.get_running_loop()
        self._arrived = asyncio.Event()
        self._closing = False
        app = web.Application(client_max_size=self.max_upload_size + 16 * MB)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._client = ClientSession(timeout=ClientTimeout(total=10))
        return self.url

    async def stop(self) -> None:
        """Wake pending long polls (they answer []), stop webhook delivery, close the server."""
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self) -> str:
        """Run the server on its own thread and event loop (for sync tests); return the URL."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        errors: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # reported to the caller below
                errors.append(error)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        started.wait(10)
        if errors:
            raise errors[0]
        return self.url

    def stop_thread(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> FakeTelegram:
        self.start_in_thread()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_thread()

    def make_bot(self, **kwargs: Any) -> Bot:
        """An aiogram Bot talking to this server (close it: `await bot.session.close()`)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.url))
        return Bot(self.token or DEFAULT_TOKEN, session=session, **kwargs)

    # ------------------------------------------------------------------------ test controls

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` ("*" = any method) answer a Telegram error.
        429 gets `parameters.retry_after` (default 1)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or DEFAULT_ERRORS.get(status, f"Error {status}").format(
            retry_after=retry_after
        )
        fault = _Fault(status, text, retry_after, times)
        self._faults.setdefault(method.lower(), []).append(fault)

    def block_chat(self, chat_id: int) -> None:
        """Every send/edit/copy/forward to this chat fails: 403 bot was blocked by the user."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def add_file(self, file_id: str, data: bytes, *, file_path: str | None = None) -> str:
        """Make `file_id` known to getFile and downloadable; return its file_path."""
        path = file_path or f"documents/file_{next(self._counter)}"
        self._files[file_id] = _File(file_id, f"AQAD{secrets.token_urlsafe(9)}", data, path)
        self._paths[path] = file_id
        return path

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes behind a file_id the fake issued or was given (KeyError if unknown)."""
        return self._files[file_id].data

    # --------------------------------------------------------------------------- inspection

    def calls_of(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive), failed ones included."""
        name = method.lower()
        return [call for call in self.calls if call.method.lower() == name]

    def last(self, method: str) -> Call:
        calls = self.calls_of(method)
        if not calls:
            raise AssertionError(f"no {method} call; recorded: {self._recorded()}")
        return calls[-1]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,  # noqa: ASYNC109 - a deadline for polling, part of the test API
        predicate: Predicate | None = None,
    ) -> Call:
        """Wait until `count` calls of `method` matching `predicate` (failed ones included) are
        recorded; return the count-th. AssertionError listing what was recorded on timeout."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(method, predicate)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_message(method, count, timeout, found))
            await asyncio.sleep(0.01)
        return found[count - 1]

    def wait_for_sync(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,
        predicate: Predicate | None = None,
    ) -> Call:
        """`wait_for` for sync tests (server started with `with FakeTelegram()`)."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(method, predicate)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_message(method, count, timeout, found))
            time.sleep(0.01)
        return found[count - 1]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of successful sendMessage calls and captions of successful media sends."""
        texts: list[str] = []
        for call in self.calls:
            name = call.method.lower()
            if call.failed or not name.startswith("send"):
                continue
            if chat_id is not None and call.chat_id != chat_id:
                continue
            key = "text" if name == "sendmessage" else "caption"
            if isinstance(text := call.params.get(key), str):
                texts.append(text)
        return texts

    def chat_history(self, chat_id: int) -> list[JSON]:
        """The chat as the fan sees it now: fan's and bot's messages, edits applied, no deleted."""
        messages = self._chats.get(chat_id, {})
        return [messages[key] for key in sorted(messages)]

    def my_commands(
        self, scope: str = "default", language_code: str = "", chat_id: Any = None
    ) -> list[str]:
        """Command names set with setMyCommands for a scope type and language."""
        return [c["command"] for c in self.commands.get((scope, language_code, chat_id), [])]

    def _matching(self, method: str, predicate: Predicate | None) -> list[Call]:
        return [call for call in self.calls_of(method) if predicate is None or predicate(call)]

    def _recorded(self) -> str:
        return ", ".join(str(call) for call in self.calls if call.method != "getUpdates") or "-"

    def _timeout_message(self, method: str, count: int, timeout: float, found: list[Call]) -> str:
        return (
            f"timed out after {timeout}s waiting for {count} {method} call(s)"
            f" (matching: {len(found)}); recorded: {self._recorded()}"
        )

    # ------------------------------------------------------------------ playing fans (updates)

    def feed(self, update: JSON) -> JSON:
        """Queue a raw update (update_id assigned if missing) for getUpdates or the webhook."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        for key in ("message", "edited_message", "channel_post"):
            if isinstance(update.get(key), dict):
                self._remember(update[key])
        if isinstance(query := update.get("callback_query"), dict) and "message" in query:
            self._remember(query["message"])
        with self._lock:
            self._pending.append(update)
        self._wake()
        return update

    def message(
        self,
        user: User,
        text: str,
        *,
        chat_id: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A text message from `user`; `/command args` gets its bot_command entity."""
        content: JSON = {"text": text}
        if entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if entities:
            content["entities"] = entities
        return self.feed({"message": self._fan_message(user, content, chat_id)})

    def photo(
        self,
        user: User,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """A photo message; the bot can getFile and download `data` (default: a small JPEG)."""
        content: JSON = {"photo": self._photo_sizes(_jpeg() if data is None else data)}
        if caption is not None:
            content["caption"] = caption
        return self.feed({"message": self._fan_message(user, content, chat_id)})

    def document(
        self,
        user: User,
        data: bytes,
        *,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """A document message (e.g. an uncompressed selfie); downloadable like `photo`."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        doc = self._new_file("document", data, file_name)
        doc.update(file_name=file_name, mime_type=mime)
        content: JSON = {"document": doc}
        if caption is not None:
            content["caption"] = caption
        return self.feed({"message": self._fan_message(user, content, chat_id)})

    def callback(
        self,
        user: User,
        data: str,
        message_id: int | None = None,
        *,
        chat_id: int | None = None,
    ) -> JSON:
        """A button press with `data` on `message_id` (default: the bot's last message)."""
        chat = user.id if chat_id is None else chat_id
        if message_id is None:
            message = self._last_bot_message(chat)
        else:
            message = self._chats.get(chat, {}).get(message_id) or {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat),
                "from": self.bot_user,
                "text": "",
            }
        query = {
            "id": str(next(self._counter) * 1000003),
            "from": user.to_dict(),
            "message": message,
            "chat_instance": str(abs(hash((chat, self.bot_user["id"])))),
            "data": data,
        }
        return self.feed({"callback_query": query})

    def press(self, user: User, button_text: str, *, chat_id: int | None = None) -> JSON:
        """Press the inline button whose text contains `button_text` on the bot's latest message
        that has one (a callback_data button)."""
        chat = user.id if chat_id is None else chat_id
        for message in reversed(self.chat_history(chat)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in itertools.chain.from_iterable(rows):
                if button_text in button.get("text", "") and "callback_data" in button:
                    return self.callback(user, button["callback_data"], message["message_id"])
        raise AssertionError(f"no inline button {button_text!r} in chat {chat}")

    def pre_checkout(
        self,
        user: User,
        payload: str,
        total_amount: int,
        *,
        currency: str = "XTR",
    ) -> JSON:
        query = {
            "id": f"{next(self._counter)}{secrets.randbelow(10**9)}",
            "from": user.to_dict(),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        }
        return self.feed({"pre_checkout_query": query})

    def successful_payment(
        self,
        user: User,
        payload: str,
        total_amount: int,
        *,
        currency: str = "XTR",
        charge_id: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """The service message Telegram sends after a payment went through."""
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id or f"stxFAKE{secrets.token_hex(12)}",
            "provider_payment_charge_id": "" if currency == "XTR" else secrets.token_hex(8),
        }
        self._record_star_payment(user, payment)
        content = {"successful_payment": payment}
        return self.feed({"message": self._fan_message(user, content, chat_id)})

    def star_payment(
        self, user: User, payload: str, total_amount: int, *, charge_id: str | None = None
    ) -> str:
        """A Stars payment Telegram took whose `successful_payment` update the bot never got
        (lost in a crash): only getStarTransactions shows it. Returns the charge id."""
        payment = {
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id or f"stxFAKE{secrets.token_hex(12)}",
        }
        self._record_star_payment(user, payment)
        return str(payment["telegram_payment_charge_id"])

    def _record_star_payment(self, user: User, payment: JSON) -> None:
        """The incoming StarTransaction of a charge (once per charge id, as Telegram keeps it)."""
        if payment.get("currency", "XTR") != "XTR":
            return
        charge_id = payment["telegram_payment_charge_id"]
        if any(tx["id"] == charge_id and "source" in tx for tx in self.star_transactions):
            return
        self._users[user.id] = user
        source = {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": user.to_dict(),
            "invoice_payload": payment["invoice_payload"],
        }
        self.star_transactions.append(
            {"id": charge_id, "amount": payment["total_amount"], "date": int(time.time()),
             "source": source}
        )  # fmt: skip

    async def pay(
        self,
        user: User,
        payload: str,
        total_amount: int,
        *,
        currency: str = "XTR",
        timeout: float = 10,  # noqa: ASYNC109 - passed on to wait_for
    ) -> str | None:
        """Pay like Telegram does: a pre-checkout query, and if the bot answers ok=True, the
        successful_payment message. Returns the telegram_payment_charge_id, or None if declined."""
        query_id = self.pre_checkout(user, payload, total_amount, currency=currency)[
            "pre_checkout_query"
        ]["id"]
        answer = await self.wait_for(
            "answerPreCheckoutQuery",
            timeout=timeout,
            predicate=lambda c: str(c.params.get("pre_checkout_query_id")) == query_id,
        )
        if answer.failed or answer.params.get("ok") is not True:
            return None
        update = self.successful_payment(user, payload, total_amount, currency=currency)
        return str(update["message"]["successful_payment"]["telegram_payment_charge_id"])

    def inline_query(self, user: User, query: str, *, offset: str = "") -> JSON:
        inline = {
            "id": str(next(self._counter) * 7919),
            "from": user.to_dict(),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        return self.feed({"inline_query": inline})

    def _fan_message(self, user: User, content: JSON, chat_id: int | None) -> JSON:
        self._users[user.id] = user
        chat = user.id if chat_id is None else chat_id
        return {
            "message_id": self._next_message_id(chat),
            "from": user.to_dict(),
            "chat": self._chat(chat),
            "date": int(time.time()),
            **content,
        }

    def _last_bot_message(self, chat: Any) -> JSON:
        for message in reversed(self.chat_history(chat)):
            if message.get("from", {}).get("id") == self.bot_user["id"]:
                return message
        raise AssertionError(f"the bot has sent no message to chat {chat}")

    # ------------------------------------------------------------------------------ HTTP side

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params, files = await self._parse(request)
        except ValueError as error:
            return web.json_response(_ApiError(400, f"Bad Request: {error}").body(), status=400)
        call = Call(method, params, files, request.match_info["token"], time.time())
        self.calls.append(call)
        try:
            if self.token is not None and call.token != self.token:
                raise _ApiError(401, "Unauthorized")
            self._check_faults(method)
            if method.lower().startswith(SEND_PREFIXES) and call.chat_id in self._blocked:
                raise _ApiError(403, DEFAULT_ERRORS[403])
            if method.lower() == "getupdates":
                result: Any = await self._get_updates(params)
            else:
                handler = self._handlers.get(method.lower(), _true)
                result = handler(params, files)
        except _ApiError as error:
            return self._fail(call, error)
        except (KeyError, TypeError, ValueError) as error:  # malformed parameters
            return self._fail(call, _ApiError(400, f"Bad Request: can't parse: {error!r}"))
        call.result = result
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _fail(call: Call, error: _ApiError) -> web.Response:
        call.failed, call.status, call.description = True, error.status, error.description
        return web.json_response(error.body(), status=error.status)

    async def _download(self, request: web.Request) -> web.Response:
        path, token = request.match_info["path"], request.match_info["token"]
        call = Call("download", {"file_path": path}, {}, token, time.time())
        self.calls.append(call)
        file_id = self._paths.get(path)
        if file_id is None or (self.token is not None and token != self.token):
            return self._fail(call, _ApiError(404, "Not Found"))
        data = self._files[file_id].data
        return web.Response(body=data, content_type="application/octet-stream")

    async def _parse(self, request: web.Request) -> tuple[JSON, dict[str, Upload]]:
        """Query string, JSON body, urlencoded or multipart form → (params, files by parameter)."""
        params: JSON = {key: _coerce(key, value) for key, value in request.query.items()}
        uploads: dict[str, Upload] = {}
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    content_type = value.content_type or "application/octet-stream"
                    data = value.file.read()
                    uploads[key] = Upload(key, value.filename or key, content_type, data)
                elif isinstance(value, str):
                    params[key] = _coerce(key, value)
        files: dict[str, Upload] = {}

        def resolve(value: Any, path: str) -> None:
            if isinstance(value, str) and value.startswith("attach://"):
                if (upload := uploads.pop(value.removeprefix("attach://"), None)) is not None:
                    files[path] = upload
            elif isinstance(value, dict):
                for key, item in value.items():
                    resolve(item, f"{path}.{key}")
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    resolve(item, f"{path}.{index}")

        for key, value in params.items():
            resolve(value, key)
        files.update(uploads)  # direct uploads: the field name is the parameter
        return params, files

    def _check_faults(self, method: str) -> None:
        for key in (method.lower(), "*"):
            faults = self._faults.get(key)
            if faults:
                fault = faults[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.pop(0)
                raise _ApiError(fault.status, fault.description, fault.retry_after)

    # ----------------------------------------------------------------------- update delivery

    def _wake(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._notify()
        else:
            loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    def _take(self, offset: int | None, limit: int, allowed: list[str] | None) -> list[JSON]:
        with self._lock:
            if offset is not None and offset < 0:
                self._pending = self._pending[offset:]
            elif offset:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            wanted = set(allowed) if allowed else None
            kept = [
                u
                for u in self._pending
                if (_update_type(u) in wanted if wanted else _update_type(u) not in OPT_IN_UPDATES)
            ]
            self._pending = kept
            return kept[:limit]

    async def _get_updates(self, p: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            self._allowed = p["allowed_updates"] or None
        offset = int(p["offset"]) if p.get("offset") is not None else None
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(p.get("timeout") or 0), 0)
        while True:
            arrived = self._arrived  # taken before looking, so no wake-up is missed
            batch = self._take(offset, limit, self._allowed)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), remaining)

    async def _deliver_webhook(self) -> None:
        """POST pending updates to the webhook one by one, as Telegram does; retry failures."""
        while self.webhook is not None and not self._closing and self._client is not None:
            arrived = self._arrived
            hook = self.webhook
            batch = self._take(None, 1, hook.get("allowed_updates") or None)
            if not batch:
                await arrived.wait()
                continue
            update = batch[0]
            headers = {}
            if hook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
            status: int | str
            try:
                async with self._client.post(hook["url"], json=update, headers=headers) as resp:
                    status = resp.status
            except (ClientError, TimeoutError) as error:
                status = f"{type(error).__name__}: {error}"
            self.webhook_deliveries.append((update["update_id"], status))
            if isinstance(status, int) and 200 <= status < 300:
                with self._lock:
                    self._pending = [u for u in self._pending if u is not update]
            else:
                hook["last_error_date"] = int(time.time())
                hook["last_error_message"] = str(status)
                await asyncio.sleep(self.webhook_retry_delay)

    # --------------------------------------------------------------------- messages and files

    def _chat(self, chat_id: Any) -> JSON:
        if isinstance(chat_id, int) and chat_id > 0:
            user = self._users.get(chat_id)
            chat: JSON = {"id": chat_id, "type": "private", "first_name": "Fan"}
            if user is not None:
                chat["first_name"] = user.first_name
                for key in ("last_name", "username"):
                    if getattr(user, key):
                        chat[key] = getattr(user, key)
            return chat
        if isinstance(chat_id, int):
            return {"id": chat_id, "type": "supergroup", "title": "Group"}
        return {"id": -1001000000001, "type": "channel", "title": str(chat_id).lstrip("@")}

    def _next_message_id(self, chat: Any) -> int:
        self._last_message_id[chat] = self._last_message_id.get(chat, 0) + 1
        return self._last_message_id[chat]

    def _remember(self, message: JSON) -> None:
        chat, message_id = message["chat"]["id"], message["message_id"]
        self._chats.setdefault(chat, {})[message_id] = message
        self._last_message_id[chat] = max(self._last_message_id.get(chat, 0), message_id)

    def _find(self, p: JSON, action: str) -> JSON:
        chat = _chat_id(p.get("chat_id"))
        message = self._chats.get(chat, {}).get(int(p.get("message_id") or 0))
        if message is None:
            raise _ApiError(400, f"Bad Request: message to {action} not found")
        return message

    def _bot_message(self, p: JSON, content: JSON) -> JSON:
        chat = _chat_id(p.get("chat_id"))
        if chat is None:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        message: JSON = {
            "message_id": self._next_message_id(chat),
            "from": self.bot_user,
            "chat": self._chat(chat),
            "date": int(time.time()),
            **content,
        }
        for key in ("entities", "caption_entities", "has_spoiler"):
            if key in p:
                message[key] = p[key]
        if p.get("reply_markup"):
            message["reply_markup"] = self._check_markup(p["reply_markup"])
        reply_to = (p.get("reply_parameters") or {}).get("message_id") or p.get(
            "reply_to_message_id"
        )
        if (replied := self._chats.get(chat, {}).get(reply_to or 0)) is not None:
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        self._remember(message)
        return message

    @staticmethod
    def _check_text(text: Any, parse_mode: Any, limit: int, what: str) -> None:
        if not isinstance(text, str):
            return
        visible = re.sub(r"<[^>]+>", "", text) if parse_mode == "HTML" else text
        if _utf16_len(visible) > limit:
            raise _ApiError(400, f"Bad Request: {what} is too long")

    @staticmethod
    def _check_markup(markup: Any) -> Any:
        if isinstance(markup, dict):
            for button in itertools.chain.from_iterable(markup.get("inline_keyboard", [])):
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _send_message(self, p: JSON, f: dict[str, Upload]) -> JSON:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        self._check_text(text, p.get("parse_mode"), 4096, "message")
        return self._bot_message(p, {"text": text})

    def _caption(self, p: JSON) -> JSON:
        if p.get("caption") is None:
            return {}
        self._check_text(p["caption"], p.get("parse_mode"), 1024, "message caption")
        return {"caption": p["caption"]}

    def _send_media(self, kind: str, p: JSON, f: dict[str, Upload]) -> JSON:
        obj = self._media(kind, p, f.get(kind), f.get("thumbnail"))
        content: JSON = {kind: obj, **self._caption(p)}
        if kind == "animation":  # Telegram also fills `document` for animations
            content["document"] = {k: obj[k] for k in obj if k not in ("width", "height")}
        return self._bot_message(p, content)

    def _send_media_group(self, p: JSON, f: dict[str, Upload]) -> list[JSON]:
        group_id = str(next(self._counter) + 10**12)
        messages = []
        for index, item in enumerate(p.get("media") or []):
            upload = f.get(f"media.{index}.media")
            thumb = f.get(f"media.{index}.thumbnail")
            content = {item["type"]: self._media(item["type"], item, upload, thumb)}
            message = self._bot_message(p, {**content, **self._caption(item)})
            message["media_group_id"] = group_id
            messages.append(message)
        return messages

    def _media(self, kind: str, p: JSON, upload: Upload | None, thumb: Upload | None) -> Any:
        """The Telegram object for a sent file: fresh ids for an upload, the stored object for a
        file_id sent again."""
        ref = p.get("media") if kind == p.get("type") else p.get(kind)
        if upload is None and isinstance(ref, str) and ref in self._files:
            known = self._files[ref]
            if known.meta is not None:
                return known.meta
        if upload is not None and len(upload.data) > self.max_upload_size:
            raise _ApiError(413, DEFAULT_ERRORS[413])
        data = upload.data if upload is not None else b""
        name = upload.filename if upload is not None else None
        if kind == "photo":
            return self._photo_sizes(data)
        obj = self._new_file(kind, data, name)
        mime = mimetypes.guess_type(name)[0] if name else None
        if kind in ("video", "animation"):
            obj.update(width=int(p.get("width") or 0), height=int(p.get("height") or 0))
            obj.update(duration=int(p.get("duration") or 0), mime_type=mime or "video/mp4")
        elif kind in ("audio", "voice"):
            obj.update(duration=int(p.get("duration") or 0))
            obj["mime_type"] = mime or ("audio/ogg" if kind == "voice" else "audio/mpeg")
        elif kind == "video_note":
            obj.update(length=int(p.get("length") or 240), duration=int(p.get("duration") or 0))
        else:
            obj["mime_type"] = mime or "application/octet-stream"
        if name and kind in ("video", "animation", "document", "audio"):
            obj["file_name"] = name
        if thumb is not None:
            width, height = _image_size(thumb.data) or (320, 180)
            obj["thumbnail"] = {**self._new_file("thumbnail", thumb.data, thumb.filename),
                                "width": width, "height": height}  # fmt: skip
        self._files[obj["file_id"]].meta = obj
        return obj

    def _new_file(self, kind: str, data: bytes, name: str | None) -> JSON:
        number = next(self._counter)
        prefix = UNIQUE_PREFIX.get(kind, "BQAC")
        file_id = f"{prefix}AgADfake{number:06d}{secrets.token_urlsafe(12)}"
        suffix = mimetypes.guess_extension(mimetypes.guess_type(name)[0] or "") if name else None
        path = f"{kind}s/file_{number}{suffix or ''}"
        stored = _File(file_id, f"AQAD{number:04d}{secrets.token_urlsafe(6)}", data, path)
        self._files[file_id] = stored
        self._paths[path] = file_id
        return {"file_id": file_id, "file_unique_id": stored.unique_id, "file_size": len(data)}

    def _photo_sizes(self, data: bytes) -> list[JSON]:
        width, height = _image_size(data) or (1280, 720)
        scale = min(1.0, 90 / max(width, height))
        small = (max(1, int(width * scale)), max(1, int(height * scale)))
        sizes = [
            {**self._new_file("photo", data, "photo.jpg"), "width": w, "height": h}
            for w, h in (small, (width, height))
        ]
        for size in sizes:
            self._files[size["file_id"]].meta = sizes
        return sizes

    def _edit(self, p: JSON, change: JSON, action: str = "edit") -> Any:
        if p.get("inline_message_id"):
            return True
        message = self._find(p, action)
        change = {**change, "reply_markup": self._check_markup(p.get("reply_markup")) or None}
        edited = {k: v for k, v in {**message, **change}.items() if v is not None}
        if {**edited, "edit_date": 0} == {**message, "edit_date": 0}:
            raise _ApiError(400, DEFAULT_ERRORS[400])
        edited["edit_date"] = int(time.time())
        self._remember(edited)
        return edited

    def _edit_text(self, p: JSON, f: dict[str, Upload]) -> Any:
        if not p.get("inline_message_id") and "text" not in self._find(p, "edit"):
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        if not isinstance(p.get("text"), str) or not p["text"].strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        self._check_text(p["text"], p.get("parse_mode"), 4096, "message")
        return self._edit(p, {"text": p["text"], "entities": p.get("entities")})

    def _edit_caption(self, p: JSON, f: dict[str, Upload]) -> Any:
        return self._edit(p, {"caption": None, **self._caption(p)})

    def _edit_media(self, p: JSON, f: dict[str, Upload]) -> Any:
        media = p.get("media")
        if not isinstance(media, dict) or media.get("type") not in MEDIA_KINDS:
            raise _ApiError(400, "Bad Request: can't parse InputMedia")
        obj = self._media(media["type"], media, f.get("media.media"), f.get("media.thumbnail"))
        change: JSON = dict.fromkeys((*MEDIA_KINDS, "text", "caption"))
        change.update({media["type"]: obj, **self._caption(media)})
        return self._edit(p, change)

    def _delete_message(self, p: JSON, f: dict[str, Upload]) -> bool:
        message = self._find(p, "delete")
        del self._chats[message["chat"]["id"]][message["message_id"]]
        return True

    def _send_invoice(self, p: JSON, f: dict[str, Upload]) -> JSON:
        prices = p.get("prices") or []
        invoice = {
            "title": p.get("title", ""),
            "description": p.get("description", ""),
            "start_parameter": p.get("start_parameter", ""),
            "currency": p.get("currency", "XTR"),
            "total_amount": sum(int(price["amount"]) for price in prices),
        }
        return self._bot_message(p, {"invoice": invoice})

    def _refund(self, p: JSON, f: dict[str, Upload]) -> bool:
        key = (int(p.get("user_id") or 0), str(p.get("telegram_payment_charge_id")))
        if key in self.refunded:
            raise _ApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunded.append(key)
        paid = next(
            (tx for tx in self.star_transactions if tx["id"] == key[1] and "source" in tx), None
        )
        if paid is not None:  # Telegram lists the refund under the charge's id, outgoing
            receiver = {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": paid["source"]["user"],
            }
            self.star_transactions.append(
                {"id": key[1], "amount": paid["amount"], "date": int(time.time()),
                 "receiver": receiver}
            )  # fmt: skip
        return True

    def _star_transactions(self, p: JSON, f: dict[str, Upload]) -> JSON:
        offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 100)
        if offset < 0 or not 1 <= limit <= 100:
            raise _ApiError(400, "Bad Request: invalid offset or limit")
        return {"transactions": self.star_transactions[offset : offset + limit]}

    def _create_invoice_link(self, p: JSON, f: dict[str, Upload]) -> str:
        """Telegram's checks for a Stars invoice link (payments-spec §3.2)."""
        prices = p.get("prices") or []
        payload = str(p.get("payload", ""))
        if not 1 <= len(str(p.get("title", ""))) <= 32:
            raise _ApiError(400, "Bad Request: invoice title length must be 1-32")
        if not 1 <= len(str(p.get("description", ""))) <= 255:
            raise _ApiError(400, "Bad Request: invoice description length must be 1-255")
        if not 1 <= len(payload.encode()) <= 128:
            raise _ApiError(400, "Bad Request: INVOICE_PAYLOAD_INVALID")
        if p.get("currency") == "XTR" and (len(prices) != 1 or p.get("provider_token")):
            raise _ApiError(400, "Bad Request: STARS_INVOICE_INVALID")
        link = f"https://t.me/$fake{secrets.token_urlsafe(12)}"
        self.invoice_links[link] = p
        return link

    def _set_webhook(self, p: JSON, f: dict[str, Upload]) -> bool:
        if not p.get("url"):
            return bool(self._delete_webhook(p, f))
        if p.get("drop_pending_updates"):
            with self._lock:
                self._pending.clear()
        self.webhook = dict(p)
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        self._notify()
        return True

    def _delete_webhook(self, p: JSON, f: dict[str, Upload]) -> bool:
        if p.get("drop_pending_updates"):
            with self._lock:
                self._pending.clear()
        self.webhook = None
        self._notify()
        return True

    def _webhook_info(self, p: JSON, f: dict[str, Upload]) -> JSON:
        hook = self.webhook or {}
        info: JSON = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
            "max_connections": int(hook.get("max_connections") or 40),
        }
        for key in ("allowed_updates", "last_error_date", "last_error_message", "ip_address"):
            if hook.get(key):
                info[key] = hook[key]
        return info

    @staticmethod
    def _commands_key(p: JSON) -> tuple[str, str, Any]:
        scope = p.get("scope") or {}
        return (
            scope.get("type", "default"),
            p.get("language_code") or "",
            _chat_id(scope.get("chat_id")),
        )

    def _set_commands(self, p: JSON, f: dict[str, Upload]) -> bool:
        self.commands[self._commands_key(p)] = list(p.get("commands") or [])
        return True

    def _delete_commands(self, p: JSON, f: dict[str, Upload]) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    def _set_menu_button(self, p: JSON, f: dict[str, Upload]) -> bool:
        self.menu_buttons[_chat_id(p.get("chat_id"))] = p.get("menu_button") or {"type": "default"}
        return True

    def _get_file(self, p: JSON, f: dict[str, Upload]) -> JSON:
        stored = self._files.get(str(p.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > 20 * MB:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    def _get_chat(self, p: JSON, f: dict[str, Upload]) -> JSON:
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return {
            **self._chat(_chat_id(p.get("chat_id"))),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {**dict.fromkeys(gifts, True), "gifts_from_channels": False},
        }
