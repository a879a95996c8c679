"""SQLModel tables only; importing this package registers every table on the metadata."""

from teamsapp.models.admin import AdminAuditEvent
from teamsapp.models.api_tokens import ApiToken
from teamsapp.models.mail import MailStatus, OutboxMail
from teamsapp.models.teams import AuditEvent, Invitation, Membership, Role, Team
from teamsapp.models.two_factor import RecoveryCode, TwoFactor
from teamsapp.models.users import AccentColor, LoginSession, OneTimeToken, Theme, TokenPurpose, User

__all__ = [
    "AccentColor",
    "AdminAuditEvent",
    "ApiToken",
    "AuditEvent",
    "Invitation",
    "LoginSession",
    "MailStatus",
    "Membership",
    "OneTimeToken",
    "OutboxMail",
    "RecoveryCode",
    "Role",
    "Team",
    "Theme",
    "TokenPurpose",
    "TwoFactor",
    "User",
]
