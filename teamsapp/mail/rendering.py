"""Mail templates: a subject, a plain-text body and an HTML body (escaped, in the shared layout)."""

from __future__ import annotations

import dataclasses
import functools
import html
from collections.abc import Mapping
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
SUBJECT_MAX = 255


class MailTemplateError(ValueError):
    """A mail was asked for with an unknown template or the wrong context keys (a programming error)."""


@dataclasses.dataclass(frozen=True)
class MailTemplate:
    """What a template needs: its subject pattern and the exact context keys."""

    subject: str
    keys: frozenset[str]


@dataclasses.dataclass(frozen=True)
class RenderedMail:
    """A mail ready for the outbox."""

    subject: str
    text: str
    html: str


# Mails that answer a neutral request (it never says whether the address has an account) are never
# counted, queued, sent or failed: a count that rose only for known addresses would tell.
NEUTRAL_KINDS = frozenset({"verify_email", "reset_password", "change_email"})

TEMPLATES: dict[str, MailTemplate] = {
    "verify_email": MailTemplate("Confirm your email address for teamsapp", frozenset({"name", "link"})),
    "reset_password": MailTemplate("Reset your teamsapp password", frozenset({"name", "link"})),
    "change_email": MailTemplate(
        "Confirm your new email address for teamsapp", frozenset({"name", "link", "new_email"})
    ),
    "email_changed": MailTemplate(
        "The email address of your teamsapp account changed", frozenset({"name", "old_email", "new_email"})
    ),
    "account_deleted": MailTemplate("Your teamsapp account has been deleted", frozenset({"name"})),
    "invitation": MailTemplate(
        "$inviter_name invited you to $team_name on teamsapp",
        frozenset({"team_name", "inviter_name", "role", "link"}),
    ),
}


@functools.cache
def load(filename: str) -> Template:
    """A template file of `templates/`, read once."""
    return Template((TEMPLATE_DIR / filename).read_text(encoding="utf-8"))


def _one_line(value: str) -> str:
    # A header value never carries a line break (header injection), and long runs of blanks collapse.
    return " ".join(value.split())


def _check(template: str, context: Mapping[str, str]) -> MailTemplate:
    spec = TEMPLATES.get(template)
    if spec is None:
        raise MailTemplateError(f"unknown mail template {template!r} (known: {', '.join(sorted(TEMPLATES))})")
    missing = spec.keys - context.keys()
    extra = context.keys() - spec.keys
    if missing or extra:
        raise MailTemplateError(
            f"mail template {template!r} takes the context keys {sorted(spec.keys)}: "
            f"missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    not_text = sorted(name for name, value in context.items() if not isinstance(value, str))
    if not_text:
        raise MailTemplateError(f"mail template {template!r}: context values must be strings: {not_text}")
    return spec


def render(template: str, context: Mapping[str, str]) -> RenderedMail:
    """Render `template` with `context`; an unknown template or wrong keys raise `MailTemplateError`."""
    spec = _check(template, context)
    subject = Template(spec.subject).substitute({name: _one_line(value) for name, value in context.items()})
    subject = _one_line(subject)[:SUBJECT_MAX]
    text = load(f"{template}.txt").substitute(context)
    escaped = {name: html.escape(value, quote=True) for name, value in context.items()}
    content = load(f"{template}.html").substitute(escaped)
    body = load("layout.html").substitute(subject=html.escape(subject, quote=True), content=content.strip())
    return RenderedMail(subject=subject, text=text, html=body)
