"""Two-factor authentication schemas (SPEC 11), shared by the REST API and the UI."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from teamsapp.users.schemas import Password, Token

CODE_MIN = 6
CODE_MAX = 32

# A 6-digit TOTP code or a recovery code (`xxxxx-xxxxx`); spaces and dashes as people type them.
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=CODE_MIN, max_length=CODE_MAX, pattern=r"^[0-9A-Za-z -]+$"
    ),
    Field(examples=["123456"], description="A 6-digit code from the authenticator app, or a recovery code."),
]


class TwoFactorSetupRequest(BaseModel):
    """Start enrolling an authenticator app; the current password confirms it is the account's owner."""

    current_password: Password


class TwoFactorSetup(BaseModel):
    """The new secret, as text, as an `otpauth://` URI and as a QR code (SVG); nothing is active yet."""

    secret: str = Field(description="The base32 secret, for apps that cannot scan the QR code.")
    otpauth_uri: str
    qr_svg: str = Field(description="The `otpauth://` URI as a QR code, an SVG document.")


class CodeRequest(BaseModel):
    """A code from the authenticator app."""

    code: Code


class PasswordAndCode(BaseModel):
    """The current password and a code (from the app, or a recovery code)."""

    current_password: Password
    code: Code


class RecoveryCodes(BaseModel):
    """Single-use codes for when the authenticator app is lost; shown only in this answer."""

    recovery_codes: list[str]


class MfaChallenge(BaseModel):
    """The password was right; send a code with `mfa_token` to POST /api/v1/user/auth/2fa."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int = Field(description="Seconds the `mfa_token` stays valid.")


class MfaLogin(BaseModel):
    """The second log-in step: the `mfa_token` from the first and a code."""

    mfa_token: Token
    code: Code
