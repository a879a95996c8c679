"""Account lifecycle under /api/v1/user (SPEC 13): export the caller's data, delete the account."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response, status

from teamsapp.account import export as account_export
from teamsapp.account import service as account_service
from teamsapp.account.schemas import AccountDelete
from teamsapp.api.deps import CurrentPrincipal, CurrentUser, SessionDep
from teamsapp.api.errors import errors

router = APIRouter(prefix="/user", tags=["user"])

_EXPORT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, as a JSON file to save (`Content-Disposition: attachment`).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["export_version", "exported_at", "profile"],
                    "properties": {
                        "export_version": {"type": "integer"},
                        "exported_at": {"type": "string", "format": "date-time"},
                        "profile": {"type": "object"},
                    },
                    "additionalProperties": True,
                }
            }
        },
        "headers": {
            "Content-Disposition": {"schema": {"type": "string"}, "description": "attachment; filename=..."}
        },
    }
}


@router.get("/me/export", response_class=Response, responses={**_EXPORT_RESPONSE, **errors(401)})
async def export_my_data(user: CurrentUser, session: SessionDep) -> Response:
    """Everything the app holds about the caller, as one JSON document to download.

    Profile, appearance, sessions, memberships with roles (and the names of team-mates), invitations
    created, audit events done, mails sent; never a password hash, a token or its hash.
    """
    document = await account_export.export_account(session, user=user)
    return Response(
        content=json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{account_export.filename(user.username)}"',
            "Cache-Control": "no-store",
        },
    )


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 409, 422, 429, 503))
async def delete_me(body: AccountDelete, principal: CurrentPrincipal, session: SessionDep) -> None:
    """Delete the caller's account, confirmed by `current_password` (and `code` with two-factor on).

    Every session ends at once; teams where the caller is the only member are deleted, the others
    are left (audited as `member.left`); a mail confirms it. If the caller is the last owner of a
    team with other members, 409 names those teams and nothing changes.
    """
    await account_service.delete_account(session, principal=principal, data=body)
