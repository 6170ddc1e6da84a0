"""The Mini App's Face Quiz: the selfie goes straight to object storage, never through us.

1. `POST /api/quiz/selfie` → 201 `{key, upload_url, expires_in}`: a fresh selfie key and a
   presigned PUT URL for it, valid `quiz.UPLOAD_URL_TTL` (5 minutes).
2. The front PUTs the photo bytes to `upload_url`.
3. `POST /api/quiz` with `{"key": KEY, "artist": SLUG or null}` → 202 `{job_id, cost,
   free_left}`: the same use case as the chat (free quizzes, then credits, charged once; the
   key doubles as the request key, so a repeated POST starts nothing new). The worker sends the
   result card to the fan's chat with the bot and deletes the selfie as soon as it has read it.

Both need `Authorization: tma <initData>` (see `miniapp.py`). Errors are JSON `{"error": code,
"message": text in the fan's language}`: 400 `bad_request` (body, key) or `artist` (quiz not
open with that artist), 402 `credits` (with `cost` and `balance`), 403 `unknown_user`/`banned`,
404 `selfie` (nothing uploaded under that key, or too late), 503 `queue`. Whenever a quiz is
not started, the uploaded selfie is deleted at once.
"""

from __future__ import annotations

from aiohttp import web

from stario.core.errors import (
    ArtistUnavailableError,
    InsufficientBalanceError,
    NotFoundError,
    QueueUnavailableError,
    UserBannedError,
    ValidationFailed,
)
from stario.core.services import quiz
from stario.core.services.generation import PlacedJob
from stario.core.settings import LANGUAGES
from stario.webapp.health import RUNTIME
from stario.webapp.limits import read_body
from stario.webapp.miniapp import TRANSLATOR, Refused, authorised, dumps, json_object

SELFIE_PATH = "/api/quiz/selfie"
QUIZ_PATH = "/api/quiz"
MAX_BODY_BYTES = 1024
MAX_SLUG = 64


def setup(app: web.Application) -> None:
    app.router.add_post(SELFIE_PATH, selfie_upload)
    app.router.add_post(QUIZ_PATH, start_quiz)


async def selfie_upload(request: web.Request) -> web.Response:
    language: str = request.app[RUNTIME].settings.default_language
    try:
        user = authorised(request)
        language = user.language_code if user.language_code in LANGUAGES else language
        key, url = await quiz.selfie_upload_url(request.app[RUNTIME].storage)
    except Refused as refused:
        return _refusal(request, refused, language)
    expires_in = int(quiz.UPLOAD_URL_TTL.total_seconds())
    return web.json_response(
        {"key": key, "upload_url": url, "expires_in": expires_in}, status=201, dumps=dumps
    )


async def start_quiz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    language: str = runtime.settings.default_language
    key: str | None = None
    try:
        user = authorised(request)
        language = user.language_code if user.language_code in LANGUAGES else language
        key, artist = _quiz_request(await read_body(request, MAX_BODY_BYTES))
        if not await runtime.storage.exists(key):
            key = None  # nothing to delete
            raise Refused(404, "selfie", "miniapp-quiz-error-selfie")
        order = quiz.QuizOrder(
            user_id=user.id, mode=quiz.Mode.ONE if artist else quiz.Mode.ALL, selfie_key=key,
            artist_slug=artist, language=language, chat_id=user.id,
        )  # fmt: skip
        placed = await _place(request, order)
    except Refused as refused:
        if key is not None:
            await runtime.storage.delete(key)
        return _refusal(request, refused, language)
    return web.json_response(
        {"job_id": placed.job_id, "cost": placed.cost, "repeat": placed.is_repeat},
        status=202,
        dumps=dumps,
    )


def _quiz_request(body: bytes) -> tuple[str, str | None]:
    bad = Refused(400, "bad_request", "miniapp-error-bad-request")
    parsed = json_object(body)
    key, artist = parsed.get("key"), parsed.get("artist")
    if not isinstance(key, str) or not quiz.is_selfie_key(key):
        raise bad
    if artist is not None and (not isinstance(artist, str) or not 0 < len(artist) <= MAX_SLUG):
        raise bad
    return key, artist


async def _place(request: web.Request, order: quiz.QuizOrder) -> PlacedJob:
    runtime = request.app[RUNTIME]
    limits = quiz.Limits(runtime.settings.quiz_free_per_day, runtime.settings.quiz_price_credits)
    try:
        async with runtime.sessions() as session:
            return await quiz.place_quiz(
                session, runtime.queue, order, request_key=f"miniapp:{order.selfie_key}",
                limits=limits,
            )  # fmt: skip
    except InsufficientBalanceError as error:
        raise Refused(
            402, "credits", "miniapp-quiz-error-credits", cost=error.needed, balance=error.balance
        ) from None
    except ArtistUnavailableError:
        raise Refused(400, "artist", "miniapp-quiz-error-artist") from None
    except UserBannedError:
        raise Refused(403, "banned", "miniapp-error-banned") from None
    except NotFoundError:
        raise Refused(403, "unknown_user", "miniapp-error-unknown-user") from None
    except ValidationFailed:
        raise Refused(400, "bad_request", "miniapp-error-bad-request") from None
    except QueueUnavailableError:
        raise Refused(503, "queue", "miniapp-quiz-error-queue") from None


def _refusal(request: web.Request, refused: Refused, language: str) -> web.Response:
    message = request.app[TRANSLATOR].get(language, refused.key, **refused.details)
    return web.json_response(
        {"error": refused.code, "message": message, **refused.details},
        status=refused.status,
        dumps=dumps,
    )
