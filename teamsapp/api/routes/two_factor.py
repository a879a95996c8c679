"""Two-factor authentication under /api/v1/user (SPEC 11): thin routes onto one service each."""

from __future__ import annotations

from fastapi import APIRouter, status

from teamsapp.api.deps import ClientDep, CurrentPrincipal, SessionDep
from teamsapp.api.errors import errors
from teamsapp.auth import two_factor
from teamsapp.auth.schemas import (
    CodeRequest,
    MfaLogin,
    PasswordAndCode,
    RecoveryCodes,
    TwoFactorSetup,
    TwoFactorSetupRequest,
)
from teamsapp.users.schemas import TokenPair

router = APIRouter(prefix="/user", tags=["two-factor"])


@router.post("/2fa/setup", responses=errors(401, 409, 422, 429, 503))
async def set_up(
    body: TwoFactorSetupRequest, principal: CurrentPrincipal, session: SessionDep
) -> TwoFactorSetup:
    """A new secret for an authenticator app: as text, as an `otpauth://` URI and as a QR code (SVG).

    Needs the current password. Nothing is active until POST /2fa/enable gets a code of it.
    """
    return await two_factor.start_setup(session, principal=principal, current_password=body.current_password)


@router.post("/2fa/enable", responses=errors(401, 409, 422, 429, 503))
async def enable(body: CodeRequest, principal: CurrentPrincipal, session: SessionDep) -> RecoveryCodes:
    """Turn two-factor authentication on with a code of the new secret.

    Returns ten single-use recovery codes, shown only here. Every other session ends.
    """
    return await two_factor.enable(session, principal=principal, code=body.code)


@router.post(
    "/2fa/disable", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 409, 422, 429, 503)
)
async def disable(body: PasswordAndCode, principal: CurrentPrincipal, session: SessionDep) -> None:
    """Turn two-factor authentication off with the current password and a code (or a recovery code).

    Every other session ends.
    """
    await two_factor.disable(
        session, principal=principal, current_password=body.current_password, code=body.code
    )


@router.post("/2fa/recovery-codes", responses=errors(401, 409, 422, 429, 503))
async def new_recovery_codes(
    body: PasswordAndCode, principal: CurrentPrincipal, session: SessionDep
) -> RecoveryCodes:
    """A new set of ten recovery codes (current password and a code); the old set stops working."""
    return await two_factor.regenerate_recovery_codes(
        session, principal=principal, current_password=body.current_password, code=body.code
    )


@router.post("/auth/2fa", responses=errors(401, 422, 429, 503))
async def log_in_with_code(body: MfaLogin, session: SessionDep, client: ClientDep) -> TokenPair:
    """The second log-in step: the `mfa_token` from POST /auth and a code give the usual token pair.

    The `mfa_token` lasts five minutes and works once; wrong codes count as failed log-ins.
    """
    return await two_factor.complete_login(
        session, mfa_token=body.mfa_token, code=body.code, device=client.device, ip=client.ip
    )
