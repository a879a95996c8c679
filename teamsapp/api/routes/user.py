"""Accounts under /api/v1/user (SPEC 4): each route reads the request and calls one service."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from teamsapp.api.deps import ClientDep, CurrentPrincipal, CurrentUser, SessionDep, UserReader
from teamsapp.api.errors import errors
from teamsapp.auth import service as auth_service
from teamsapp.auth.schemas import MfaChallenge
from teamsapp.core.security import BCRYPT_MAX_BYTES
from teamsapp.models.base import STORABLE_TEXT
from teamsapp.models.users import EMAIL_MAX
from teamsapp.users import service as user_service
from teamsapp.users.schemas import (
    AppearanceUpdate,
    EmailRequest,
    LoginRequest,
    Notice,
    PasswordReset,
    RefreshRequest,
    SessionPublic,
    TokenPair,
    TokenRequest,
    UserCreate,
    UserProfile,
    UserPublic,
    UserSettingsUpdate,
    VerifyRequest,
)

router = APIRouter(prefix="/user", tags=["user"])

NEUTRAL_MAIL_NOTICE = "If the address has an account, a mail with a link is on its way."
VERIFY_NOTICE = "If the address has an account that is not verified yet, a mail with a link is on its way."

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_LOGIN_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": LoginRequest.model_json_schema()},
        "application/x-www-form-urlencoded": {
            "schema": {
                "title": "OAuth2PasswordForm",
                "type": "object",
                "required": ["username", "password"],
                "properties": {
                    "grant_type": {"type": "string", "enum": ["password"]},
                    "username": {
                        "type": "string",
                        "description": "Email or username",
                        "minLength": 1,
                        "maxLength": EMAIL_MAX,
                        "pattern": STORABLE_TEXT,
                    },
                    "password": {
                        "type": "string",
                        "format": "password",
                        "minLength": 1,
                        "maxLength": BCRYPT_MAX_BYTES,
                    },
                },
            }
        },
    },
}


def _body_errors(error: ValidationError, rename: dict[str, str] | None = None) -> RequestValidationError:
    rename = rename or {}
    return RequestValidationError(
        [
            {**detail, "loc": ("body", *(rename.get(str(part), part) for part in detail["loc"]))}
            for detail in error.errors(include_url=False, include_context=False, include_input=False)
        ]
    )


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(_FORM_TYPES)


async def _login_request(request: Request) -> LoginRequest:
    if _is_form(request):
        form = await request.form()
        try:
            return LoginRequest.model_validate(
                {"login": form.get("username"), "password": form.get("password")}
            )
        except ValidationError as error:
            raise _body_errors(error, rename={"login": "username"}) from None
    try:
        return LoginRequest.model_validate_json(await request.body())
    except ValidationError as error:
        raise _body_errors(error) from None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 422, 429, 503),
)
async def sign_up(body: UserCreate, session: SessionDep) -> UserPublic:
    """Create an unverified account and mail a verification link.

    Whether the address has another account is never checked (no enumeration): the address belongs
    to the account that confirms it. A taken username is a 409; mails to one address are limited.
    """
    return user_service.to_public(await user_service.sign_up(session, data=body))


@router.post("/auth", openapi_extra={"requestBody": _LOGIN_BODY}, responses=errors(401, 422, 429, 503))
async def log_in(request: Request, session: SessionDep, client: ClientDep) -> TokenPair | MfaChallenge:
    """Log in with `login` (email or username) and `password` as JSON, or with the OAuth2 password form.

    Five failures in 15 minutes, per account or per address, lock log-in for the rest of the window.
    With two-factor authentication on, the JSON log-in answers `{mfa_required, mfa_token, expires_in}`
    instead of tokens (send the code to POST /auth/2fa); the OAuth2 form is then refused with a 401.
    """
    body = await _login_request(request)
    if _is_form(request):
        return await auth_service.login(
            session, login=body.login, password=body.password, device=client.device, ip=client.ip
        )
    return await auth_service.start_login(
        session, login=body.login, password=body.password, device=client.device, ip=client.ip
    )


@router.post("/auth/refresh", responses=errors(401, 422))
async def refresh_token(body: RefreshRequest, session: SessionDep, client: ClientDep) -> TokenPair:
    """A new access token and a new refresh token; the old refresh token stops working.

    Presenting an old refresh token again ends its session.
    """
    return await auth_service.refresh(
        session, refresh_token=body.refresh_token, device=client.device, ip=client.ip
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401))
async def log_out(principal: CurrentPrincipal, session: SessionDep) -> None:
    """End the current session; its access and refresh tokens stop working at once."""
    await auth_service.logout(session, principal=principal)


@router.get("/sessions", responses=errors(401))
async def list_sessions(principal: CurrentPrincipal, session: SessionDep) -> list[SessionPublic]:
    """The caller's live sessions (device, address, created, last seen, which one is current)."""
    return await auth_service.list_sessions(session, principal=principal)


@router.delete("/sessions", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401))
async def revoke_other_sessions(principal: CurrentPrincipal, session: SessionDep) -> None:
    """End every session of the caller but the current one."""
    await auth_service.revoke_other_sessions(session, principal=principal)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 404))
async def revoke_session(session_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> None:
    """End one of the caller's sessions."""
    await auth_service.revoke_session(session, principal=principal, session_id=session_id)


@router.get("/me", responses=errors(401, 403))
async def read_me(user: UserReader) -> UserPublic:
    """The current user, with settings and appearance."""
    return user_service.to_public(user)


@router.patch("/settings", responses=errors(401, 409, 422, 429, 503))
async def update_settings(
    body: UserSettingsUpdate, principal: CurrentPrincipal, session: SessionDep
) -> UserPublic:
    """Change full name, username, email or password.

    A new email or password needs `current_password`. A new email is mailed a confirmation link and
    replaces the old one only once confirmed. A new password ends every other session.
    """
    return user_service.to_public(await user_service.update_settings(session, principal=principal, data=body))


@router.post("/settings/email/confirm", responses=errors(409, 422))
async def confirm_email_change(body: TokenRequest, session: SessionDep) -> UserPublic:
    """Switch to the new email with the token mailed to it."""
    return user_service.to_public(await user_service.confirm_email_change(session, token=body.token))


@router.patch("/appearance", responses=errors(401, 422))
async def update_appearance(body: AppearanceUpdate, user: CurrentUser, session: SessionDep) -> UserPublic:
    """Change the theme (`light`, `dark`, `system`) and the accent colour (a Radix accent name)."""
    return user_service.to_public(await user_service.update_appearance(session, actor=user, data=body))


@router.post("/verify/send", status_code=status.HTTP_202_ACCEPTED, responses=errors(422, 429, 503))
async def send_verification(body: EmailRequest, session: SessionDep) -> Notice:
    """Mail a new verification link; the answer is the same whether or not the address has an account."""
    await user_service.send_verification(session, email=body.email)
    return Notice(detail=VERIFY_NOTICE)


@router.post("/verify", responses=errors(409, 422))
async def verify_email(body: VerifyRequest, session: SessionDep) -> UserPublic:
    """Confirm the email address with the mailed token and the password the account keeps.

    The account's own password only confirms the address; another one replaces it and ends every
    session, so an account someone else opened with your address never keeps their password.
    """
    return user_service.to_public(
        await user_service.verify_email(session, token=body.token, password=body.password)
    )


@router.post("/password/reset/send", status_code=status.HTTP_202_ACCEPTED, responses=errors(422, 429, 503))
async def send_password_reset(body: EmailRequest, session: SessionDep) -> Notice:
    """Mail a password-reset link; the answer is the same whether or not the address has an account."""
    await user_service.send_password_reset(session, email=body.email)
    return Notice(detail=NEUTRAL_MAIL_NOTICE)


@router.post("/password/reset", status_code=status.HTTP_204_NO_CONTENT, responses=errors(409, 422))
async def reset_password(body: PasswordReset, session: SessionDep) -> None:
    """Set a new password with the mailed token; every session of the account ends."""
    await user_service.reset_password(session, token=body.token, password=body.password)


@router.get("/{user_id}", responses=errors(401, 403, 404))
async def read_profile(user_id: uuid.UUID, user: UserReader, session: SessionDep) -> UserProfile:
    """Another user's public profile: id, username and full name."""
    return await user_service.get_profile(session, actor=user, user_id=user_id)
