"""The `stario` command as an operator runs it: real processes, real PostgreSQL, SQLite for dev."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import TEST_DATABASE_URL


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "LANG", "LC_ALL"}}
    return {**env, "HOME": str(tmp_path), **extra}


def stario(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stario.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def get_json(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_stario_dev_runs_on_embedded_defaults_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stario.cli", "dev"],
        env=clean_env(tmp_path, WEB_PORT=str(port), WEB_HOST="127.0.0.1"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "stario dev did not start in 60 s"
                time.sleep(0.3)
        assert (status, body) == (200, {"status": "ok"})
        status, ready = get_json(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, ready
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "Traceback" not in output

    with sqlite3.connect(tmp_path / "stario.db") as connection:
        artists = connection.execute(
            "SELECT count(*) FROM artists WHERE verification_status = 'verified'"
        ).fetchone()
        keys = [row[0] for row in connection.execute("SELECT storage_key FROM artist_photos")]
        vectors = connection.execute("SELECT count(*) FROM artist_face_embeddings").fetchone()
    assert artists is not None
    assert vectors is not None
    assert vectors[0] == len(keys)  # the Face Quiz is ready at once
    assert artists[0] >= 3
    assert keys
    assert all((tmp_path / "data" / key).is_file() for key in keys)


def test_migrate_seed_and_operator_commands_on_postgresql(
    tmp_path: Path, db: async_sessionmaker[AsyncSession]
) -> None:
    env = clean_env(
        tmp_path, DATABASE_URL=TEST_DATABASE_URL, STORAGE_URL=f"file://{tmp_path / 'files'}"
    )
    migrated = stario("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    first = stario("seed-demo", env=env, cwd=tmp_path)
    second = stario("seed-demo", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert json.loads(first.stdout) != json.loads(second.stdout)  # second run creates nothing

    packages = stario("order", "packages", env=env, cwd=tmp_path)
    listed = json.loads(packages.stdout)
    assert packages.returncode == 0
    assert {"code", "credits", "price_uzs", "price_tiyin", "price_stars"} <= set(listed[0])
    assert all(item["price_tiyin"] == item["price_uzs"] * 100 for item in listed)

    unknown = stario("user", "balance", "424242", env=env, cwd=tmp_path)
    assert unknown.returncode == 1
    assert json.loads(unknown.stderr)["error"] == "error-not-found"


@pytest.mark.parametrize(
    ("kind", "extra", "suffix", "magic"),
    [
        (
            "poster",
            ["--template", "neon", "--text", "Tugʻilgan kuning bilan!"],
            "jpg",
            b"\xff\xd8",
        ),
        ("greeting", ["--shape", "square", "--text", "Salom, Aziza!"], "mp4", b"ftyp"),
    ],
)
def test_generate_runs_a_pipeline_without_bot_or_queue(
    tmp_path: Path, kind: str, extra: list[str], suffix: str, magic: bytes
) -> None:
    from stario.core.demo_portraits import render_portrait

    photo = tmp_path / "artist.jpg"
    photo.write_bytes(render_portrait("cli-test").jpeg)
    out = tmp_path / f"result.{suffix}"
    result = stario(
        "generate", kind, "--photo", str(photo), "--name", "Laylo", "--lang", "uz",
        "--out", str(out), *extra, env=clean_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bytes"] == out.stat().st_size
    assert magic in out.read_bytes()[:12]
    assert report["stage_seconds"]
    assert report["total_seconds"] > 0


def test_generate_refuses_an_unusable_photo_plainly(tmp_path: Path) -> None:
    photo = tmp_path / "not-a-photo.jpg"
    photo.write_bytes(b"hello")
    result = stario(
        "generate", "poster", "--photo", str(photo), "--text", "Hi", "--out",
        str(tmp_path / "x.jpg"), env=clean_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "bad_photo" in result.stderr
