"""`stario face-compare` as an operator runs it: a real process on the test photos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.workers.face_pairs import DEEPFACE, FACES_FR


def face_compare(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "LANG", "LC_ALL"}}
    env |= {"HOME": str(cwd), "XDG_CACHE_HOME": str(cwd / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "stario.cli", "face-compare", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_two_images_give_one_json_line(tmp_path: Path) -> None:
    result = face_compare(str(FACES_FR / "obama.jpg"), str(FACES_FR / "obama2.jpg"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["engine"] == "dlib-resnet-v1"
    assert report["same_person"] is True
    assert 75 <= report["similarity_percent"] <= 100
    assert 0 < report["distance"] < 0.4
    assert set(report["boxes"]) == {"a", "b"}
    assert all(len(box) == 4 for box in report["boxes"].values())
    assert report["milliseconds"] > 0


def test_pairs_keep_their_order_and_a_bad_image_fails_only_its_pair(tmp_path: Path) -> None:
    for source in (FACES_FR / "obama.jpg", FACES_FR / "biden.jpg", DEEPFACE / "img1.jpg"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "notes.jpg").write_text("not a photo")
    (tmp_path / "pairs.csv").write_text(
        "a,b\n"
        "obama.jpg,biden.jpg\n"
        "obama.jpg,notes.jpg\n"
        "missing.jpg,obama.jpg\n"
        "biden.jpg,biden.jpg\n"
        "img1.jpg,obama.jpg\n"
    )
    result = face_compare("--pairs", "pairs.csv", cwd=tmp_path)
    assert result.returncode == 1
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(r["a"]).name, Path(r["b"]).name) for r in reports] == [
        ("obama.jpg", "biden.jpg"),
        ("obama.jpg", "notes.jpg"),
        ("missing.jpg", "obama.jpg"),
        ("biden.jpg", "biden.jpg"),
        ("img1.jpg", "obama.jpg"),
    ]
    assert reports[0]["same_person"] is False
    assert reports[0]["similarity_percent"] < 50
    assert reports[1]["error"] == "bad_photo"
    assert reports[2]["error"] == "not_found"
    assert reports[3]["distance"] == 0
    assert reports[3]["similarity_percent"] == 100
    assert "error" not in reports[4]
    assert "Traceback" not in result.stderr


def test_wrong_arguments_are_refused_plainly(tmp_path: Path) -> None:
    (tmp_path / "wrong.csv").write_text("left,right\nx.jpg,y.jpg\n")
    for args in (["only-one.jpg"], ["--pairs", "wrong.csv"], ["--pairs", "none.csv"]):
        result = face_compare(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
