"""Which tabs a team change is pushed to: every open tab of every member, found in one round trip."""

from __future__ import annotations

import uuid

import pytest

from teamsapp.ui import tabs

pytestmark = pytest.mark.usefixtures("app_lifespan")


async def test_the_tabs_of_many_users_are_found_together() -> None:
    members = [uuid.uuid4() for _ in range(50)]
    for index, member in enumerate(members):
        for tab in range(index % 3):  # none, one or two tabs each
            await tabs.register(member, f"tab-{index}-{tab}")
    outsider = uuid.uuid4()
    await tabs.register(outsider, "tab-outsider")

    found = await tabs.of_users(members)

    expected = {
        f"tab-{index}-{tab}": member for index, member in enumerate(members) for tab in range(index % 3)
    }
    assert found == expected
    assert await tabs.of_users([]) == {}
