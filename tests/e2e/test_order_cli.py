"""`stario order create` as an operator runs it: a real process on real PostgreSQL."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from stario.core.services import orders
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.test_cli import clean_env, stario
from tests.factories import add_user
from tests.payment_helpers import CREDITS, PRICE_TIYIN, PRICE_UZS, Sessions, add_package

FAN = 100


@pytest.fixture
async def env(tmp_path: Path, db: Sessions) -> dict[str, str]:
    await add_user(db, FAN)
    await add_package(db)
    return clean_env(
        tmp_path,
        DATABASE_URL=TEST_DATABASE_URL,
        STORAGE_URL=f"file://{tmp_path / 'files'}",
        PAYME_MERCHANT_ID="587f72c72cac0d162c722ae2",
        CLICK_SERVICE_ID="4242",
        CLICK_MERCHANT_ID="1717",
    )


def create(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, dict[str, object], str]:
    result = stario("order", "create", *args, env=env, cwd=cwd)
    assert "Traceback" not in result.stderr
    printed = json.loads(result.stdout) if result.returncode == 0 else {}
    return result.returncode, printed, result.stderr


async def test_order_create_prints_the_order_and_its_payme_link(
    env: dict[str, str], tmp_path: Path, db: Sessions
) -> None:
    code, printed, stderr = create(
        env, tmp_path, "--user", str(FAN), "--package", "start", "--provider", "payme"
    )
    assert code == 0, stderr
    assert printed["amount_tiyin"] == PRICE_TIYIN
    assert printed["amount_uzs"] == PRICE_UZS
    assert printed["amount_stars"] == 50
    assert printed["credits"] == CREDITS
    assert (printed["status"], printed["provider"]) == ("pending", "payme")
    assert printed["user_id"] == FAN
    order_id = printed["order_id"]
    assert isinstance(order_id, int)
    link = str(printed["checkout_url"])
    assert link.startswith("https://checkout.paycom.uz/")
    assert base64.b64decode(link.rsplit("/", 1)[1]).decode() == (
        f"m=587f72c72cac0d162c722ae2;ac.order_id={order_id};a={PRICE_TIYIN}"
    )
    async with db() as session:
        stored = await orders.get_order(session, order_id)
    assert stored is not None
    assert stored.status == "pending"


async def test_order_create_for_click_and_stars(env: dict[str, str], tmp_path: Path) -> None:
    code, printed, stderr = create(
        env, tmp_path, "--user", str(FAN), "--package", "start", "--provider", "click"
    )
    assert code == 0, stderr
    query = parse_qs(urlsplit(str(printed["checkout_url"])).query)
    assert query["amount"] == [f"{PRICE_UZS}.00"]
    assert query["transaction_param"] == [str(printed["order_id"])]
    code, printed, stderr = create(
        env, tmp_path, "--user", str(FAN), "--package", "start", "--provider", "stars"
    )
    assert code == 0, stderr
    assert printed["checkout_url"] is None  # Stars are paid through an invoice in Telegram
    assert printed["amount_stars"] == 50


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--user", "424242", "--package", "start", "--provider", "payme"], "error-not-found"),
        (["--user", str(FAN), "--package", "nope", "--provider", "payme"], "error-not-found"),
    ],
)
async def test_order_create_refuses_unknown_users_and_packages_plainly(
    env: dict[str, str], tmp_path: Path, args: list[str], error: str
) -> None:
    code, _printed, stderr = create(env, tmp_path, *args)
    assert code == 1
    assert json.loads(stderr)["error"] == error
