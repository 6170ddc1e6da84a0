"""A stand-in for the GPU talking-head program, following Stario's contract (see
`stario.workers.engines.talking_head`): it reads the request (last argument, also in
``STARIO_REQUEST``), checks it, and writes a slow zoom on the face of ``source.png`` as an MPEG-4
video with a silent audio track (which Stario must replace with the speech).

``STAND_IN_MODE`` picks the behaviour: ``ok`` (default), ``fail`` (a crash, exit 1), ``oom``
(a CUDA out-of-memory error, exit 1), ``hang`` (starts a child and sleeps; both write their pids
to ``STAND_IN_PIDFILE``), ``empty`` (an empty output, exit 0), ``missing`` (no output, exit 0).
With ``STAND_IN_SAVE_REQUEST`` set, the request it read is copied there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import wave
from pathlib import Path
from typing import Any

import imageio_ffmpeg  # type: ignore[import-untyped]

REQUIRED = ("source", "audio", "output", "width", "height", "fps", "language", "text", "face_box")


def load_request(argv: list[str]) -> dict[str, Any]:
    if len(argv) < 2:
        sys.exit("usage: stand_in_talking_head.py REQUEST_JSON")
    path = argv[-1]
    if os.environ.get("STARIO_REQUEST") != path:
        sys.exit(f"STARIO_REQUEST {os.environ.get('STARIO_REQUEST')!r} is not {path!r}")
    request: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = [key for key in REQUIRED if key not in request]
    if missing:
        sys.exit(f"request lacks {missing}")
    if request["fps"] != 25 or len(request["face_box"]) != 4:
        sys.exit(f"bad fps or face_box in {request}")
    if not Path(request["source"]).read_bytes().startswith(b"\x89PNG"):
        sys.exit("source is not a PNG")
    with wave.open(request["audio"], "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            sys.exit("audio is not 16-bit mono PCM")
        request["duration_s"] = wav.getnframes() / wav.getframerate()
    return request


def animate(request: dict[str, Any]) -> None:
    """A 512×512 slow zoom around the face, lasting the speech, with silent audio."""
    left, top, right, bottom = request["face_box"]
    side = int(max(right - left, bottom - top) * 2.2)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    x, y = centre_x - side / 2, centre_y - side / 2
    crop = f"crop=min({side}\\,iw):min({side}\\,ih):{x:.0f}:{y:.0f}"
    frames = max(1, round(request["duration_s"] * 25))
    video = f"{crop},scale=512:512,zoompan=z='1+0.15*on/{frames}':d=1:s=512x512:fps=25"
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-loop", "1", "-framerate", "25", "-i", request["source"],
        "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono",
        "-vf", video, "-frames:v", str(frames), "-t", f"{request['duration_s']:.3f}",
        "-c:v", "mpeg4", "-q:v", "4", "-c:a", "aac", "-shortest", request["output"],
    ]  # fmt: skip
    subprocess.run(command, check=True)


def hang() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    pidfile = os.environ.get("STAND_IN_PIDFILE")
    if pidfile:
        Path(pidfile).write_text(f"{os.getpid()} {child.pid}", encoding="utf-8")
    time.sleep(600)


def main(argv: list[str]) -> None:
    request = load_request(argv)
    saved = os.environ.get("STAND_IN_SAVE_REQUEST")
    if saved:
        Path(saved).write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    mode = os.environ.get("STAND_IN_MODE", "ok")
    if mode == "ok":
        animate(request)
    elif mode == "fail":
        print("Traceback (most recent call last):\nRuntimeError: renderer broke", file=sys.stderr)
        sys.exit(1)
    elif mode == "oom":
        print(
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            file=sys.stderr,
        )
        sys.exit(1)
    elif mode == "hang":
        hang()
    elif mode == "empty":
        Path(request["output"]).write_bytes(b"")
    elif mode != "missing":
        sys.exit(f"unknown STAND_IN_MODE {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
