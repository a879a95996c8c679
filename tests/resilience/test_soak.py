"""A short run of the soak (`make soak` runs it for ten minutes): the traffic mix runs clean."""

from __future__ import annotations

import json
from pathlib import Path

from tests.resilience import soak
from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack

SMOKE_SECONDS = 20


async def test_soak_smoke(stack: Stack, app_server: AppServer, tmp_path: Path) -> None:
    result = await soak.soak(stack, app_server, seconds=SMOKE_SECONDS, out_dir=tmp_path)
    print(json.dumps({"requests": result["requests"], **result["verdict"]}))
    assert result["errors"] == {}, [row["error_examples"] for row in result["samples"]]
    assert set(result["requests"]) >= {"create team", "invite", "accept", "role", "remove"}
    assert [path.suffix for path in sorted(tmp_path.iterdir())] == [".json", ".png"]
