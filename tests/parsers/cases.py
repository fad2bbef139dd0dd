"""Where a parser fixture's bytes live. A case folder holds ``request.json`` and either its own
``response.<ext>`` or, for a real capture the replay site also serves, ``"body"`` in request.json:
the capture's path from the repository root (its one home is services/replay/recordings/bodies)."""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
RECORDINGS = REPO / "services" / "replay" / "recordings" / "bodies"


def case_request(folder: Path) -> dict:
    return json.loads((folder / "request.json").read_text(encoding="utf-8"))


def case_body_path(folder: Path) -> Path:
    """The file holding the case's response bytes."""
    shared = case_request(folder).get("body")
    if shared:
        return REPO / shared
    return next(folder.glob("response.*"))


def case_body(folder: Path) -> bytes:
    return case_body_path(folder).read_bytes()
