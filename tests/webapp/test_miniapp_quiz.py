"""The Mini App's Face Quiz over real HTTP: a presigned upload URL, the selfie PUT to it, then
`POST /api/quiz` placing the same job the chat places (free, then credits; once per key), and
every refusal deleting the uploaded selfie at once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa

from stario.core.i18n import Translator
from stario.core.services import ledger, quiz
from stario.core.settings import Settings
from stario.models import GenerationJob
from tests.factories import add_artist, add_user
from tests.payment_helpers import Client, Sessions, web_client
from tests.webapp.test_miniapp import signed

FAN, POOR, BANNED, STRANGER = 700, 701, 702, 703
SELFIE = (Path(__file__).parents[1] / "fixtures" / "faces" / "biden.jpg").read_bytes()
TEXTS = Translator()


@pytest.fixture
async def client(settings: Settings, db: Sessions, redis_url: str) -> AsyncIterator[Client]:
    redis.Redis.from_url(redis_url).flushdb()  # the RQ `face` queue; no worker takes from it
    await add_user(db, FAN, language="en", balance=5)
    await add_user(db, POOR, language="ru")
    await add_user(db, BANNED, banned=True)
    await add_artist(db, "sevara")
    await add_artist(db, "hidden", active=False)
    async with web_client(settings, redis_url=redis_url, quiz_free_per_day=1) as running:
        yield running


async def post(
    client: Client, path: str, body: Any, user: int | None, *, raw: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if user is not None:
        headers["Authorization"] = f"tma {signed(user, language='en')}"
    data = raw if raw is not None else json.dumps(body).encode()
    async with client.post(path, data=data, headers=headers) as response:
        return response.status, await response.json()


async def upload(client: Client, user: int, data: bytes = SELFIE) -> str:
    status, answer = await post(client, "/api/quiz/selfie", {}, user)
    assert status == 201, answer
    assert answer["expires_in"] == 300
    url = urlsplit(answer["upload_url"])
    async with client.put(f"{url.path}?{url.query}", data=data) as response:
        assert response.status in (200, 201, 204), await response.text()
    return str(answer["key"])


async def jobs_of(db: Sessions, user: int) -> list[GenerationJob]:
    async with db() as session:
        found = await session.scalars(
            sa.select(GenerationJob)
            .where(GenerationJob.user_id == user)
            .order_by(GenerationJob.id)
        )
        return list(found)


async def test_upload_then_start_places_one_job_for_the_chat(
    client: Client, db: Sessions, settings: Settings
) -> None:
    key = await upload(client, FAN)

    status, answer = await post(client, "/api/quiz", {"key": key, "artist": "sevara"}, FAN)
    assert status == 202, answer
    assert (answer["cost"], answer["repeat"]) == (0, False)
    again_status, again = await post(client, "/api/quiz", {"key": key, "artist": "sevara"}, FAN)
    assert (again_status, again["job_id"], again["repeat"]) == (202, answer["job_id"], True)

    [job] = await jobs_of(db, FAN)
    assert job.id == answer["job_id"]
    assert (job.chat_id, job.cost, job.params["selfie_key"]) == (FAN, 0, key)
    assert job.params["artist_slug"] == "sevara"
    assert (Path(settings.storage_url.removeprefix("file://")) / key).read_bytes() == SELFIE

    second = await upload(client, FAN)  # the day's free quiz is used: one credit now
    status, answer = await post(client, "/api/quiz", {"key": second, "artist": None}, FAN)
    assert (status, answer["cost"]) == (202, 1)
    async with db() as session:
        assert await ledger.balance_of(session, FAN) == 4


async def test_refusals_start_nothing_and_delete_the_selfie(
    client: Client, db: Sessions, settings: Settings
) -> None:
    root = Path(settings.storage_url.removeprefix("file://"))
    await post(client, "/api/quiz", {"key": await upload(client, POOR)}, POOR)  # the free one

    key = await upload(client, POOR)
    status, answer = await post(client, "/api/quiz", {"key": key}, POOR)
    assert (status, answer["error"], answer["cost"], answer["balance"]) == (402, "credits", 1, 0)
    assert answer["message"] == TEXTS.get("en", "miniapp-quiz-error-credits", cost=1, balance=0)
    assert not (root / key).exists()

    key = await upload(client, FAN)
    status, answer = await post(client, "/api/quiz", {"key": key, "artist": "hidden"}, FAN)
    assert (status, answer["error"]) == (400, "artist")
    assert not (root / key).exists()

    for user, code in ((BANNED, 403), (STRANGER, 403)):
        key = await upload(client, user)
        status, answer = await post(client, "/api/quiz", {"key": key}, user)
        assert status == code, answer
        assert not (root / key).exists()
    assert len(await jobs_of(db, POOR)) == 1
    assert await jobs_of(db, FAN) == []


@pytest.mark.parametrize(
    "body",
    [
        {"key": "selfies/" + "0" * 31},
        {"key": "results/" + "0" * 32},
        {"key": "../etc/passwd"},
        {"key": 5},
        {},
        {"key": "selfies/" + "a" * 32, "artist": 7},
        {"key": "selfies/" + "a" * 32, "artist": "x" * 65},
        [1, 2],
    ],
)
async def test_malformed_bodies_are_400(client: Client, body: Any) -> None:
    status, answer = await post(client, "/api/quiz", body, FAN)
    assert (status, answer["error"]) == (400, "bad_request")


async def test_not_json_unauthorised_missing_and_huge(client: Client, db: Sessions) -> None:
    status, answer = await post(client, "/api/quiz", None, FAN, raw=b"{not json")
    assert (status, answer["error"]) == (400, "bad_request")
    status, answer = await post(client, "/api/quiz/selfie", {}, None)
    assert (status, answer["error"]) == (401, "unauthorized")
    status, answer = await post(client, "/api/quiz", {"key": quiz.new_selfie_key()}, FAN)
    assert (status, answer["error"]) == (404, "selfie")
    async with client.post(
        "/api/quiz",
        data=b"{" + b" " * 5000 + b"}",
        headers={"Authorization": f"tma {signed(FAN)}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 413
    assert await jobs_of(db, FAN) == []
