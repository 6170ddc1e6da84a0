"""DESIGN §2: the bot and web processes never load worker code or ML libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("stario.workers", "torch", "diffusers", "onnxruntime", "cv2", "numpy", "av")


def test_bot_and_web_load_no_worker_code_and_no_ml_library() -> None:
    probe = (
        "import json, sys\n"
        "import stario.bot.factory, stario.webapp.app, stario.commands, stario.cli\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
        f"or m.startswith('stario.workers'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []
