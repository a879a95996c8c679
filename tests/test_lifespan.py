"""Start-up: an unreachable database is one clear error naming the setting."""

from __future__ import annotations

import pytest

from teamsapp.core import db
from teamsapp.core.config import SettingsError
from teamsapp.lifespan import app_lifespan
from tests import services


async def test_unreachable_database_stops_start_up_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = db.create_engine(f"postgresql://nobody@127.0.0.1:{services.free_port()}/none")
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    monkeypatch.setattr("teamsapp.lifespan.get_engine", lambda: engine)
    with pytest.raises(SettingsError) as raised:
        async with app_lifespan():
            pass
    assert "BACKEND_DB_URL" in str(raised.value.code)
    assert "\n" not in str(raised.value.code)
    await engine.dispose()
