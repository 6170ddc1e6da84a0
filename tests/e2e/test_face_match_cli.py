"""`stario face-index` and `stario face-match` as an operator runs them: real processes, the
real default face engine, real photos, the gallery in the real PostgreSQL test database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.models import Artist
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.test_cli import clean_env, stario
from tests.factories import add_artist

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"


def last_json(stderr: str) -> dict[str, str]:
    """The error line (MediaPipe's native code may log a line of its own before it)."""
    found: dict[str, str] = json.loads(stderr.strip().splitlines()[-1])
    return found


async def test_face_index_then_face_match(
    db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    for slug, photo in (("obama", "obama-portrait.jpg"), ("biden", "biden.jpg")):
        (storage / "artists" / slug).mkdir(parents=True)
        shutil.copy(FACES / photo, storage / "artists" / slug / "photo.jpg")
        await add_artist(db, slug, photo_key=f"artists/{slug}/photo.jpg")
    async with db() as session:
        await session.execute(
            sa.update(Artist).where(Artist.slug == "obama").values(names={"en": "Barack Obama"})
        )
        await session.commit()
    env = clean_env(tmp_path, DATABASE_URL=TEST_DATABASE_URL, STORAGE_URL=f"file://{storage}",
                    DEFAULT_LANGUAGE="en")  # fmt: skip

    indexed = stario("face-index", env=env, cwd=tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    report = json.loads(indexed.stdout)
    assert (report["indexed"], report["no_face"]) == (2, [])
    again = stario("face-index", "--artist", "obama", env=env, cwd=tmp_path)
    assert json.loads(again.stdout)["indexed"] == 0

    selfie = str(FACES / "obama-blue-room.jpg")
    found = stario("face-match", selfie, env=env, cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["engine"] == report["engine"]
    assert result["gallery_size"] == 2
    best, other = result["matches"]
    assert (best["artist"], best["name"], other["artist"]) == ("obama", "Barack Obama", "biden")
    assert best["similarity_percent"] >= 75 > other["similarity_percent"]
    assert best["distance"] < other["distance"]
    assert 0 < result["milliseconds"] < 5000

    only = json.loads(stario("face-match", selfie, "--artist", "biden", env=env,
                             cwd=tmp_path).stdout)  # fmt: skip
    assert [match["artist"] for match in only["matches"]] == ["biden"]

    crowd = stario("face-match", str(FACES / "two-people.jpg"), env=env, cwd=tmp_path)
    assert crowd.returncode == 1
    assert last_json(crowd.stderr)["error"] == "many_faces"
    closed = stario("face-match", selfie, "--artist", "nobody", env=env, cwd=tmp_path)
    assert closed.returncode == 1
    assert last_json(closed.stderr)["error"] == "error-artist-unavailable"
    assert "Traceback" not in crowd.stderr + closed.stderr
