"""Templates: every template renders both bodies, HTML escapes, and mistakes are loud."""

from __future__ import annotations

import pytest

from teamsapp.mail.rendering import TEMPLATES, MailTemplateError, load, render

LINK = "http://127.0.0.1:3000/verify?token=abc-123&x=1"
CONTEXTS = {
    "verify_email": {"name": "Ada", "link": LINK},
    "reset_password": {"name": "Ada", "link": LINK},
    "change_email": {"name": "Ada", "link": LINK, "new_email": "new@example.test"},
    "email_changed": {"name": "Ada", "old_email": "old@example.test", "new_email": "new@example.test"},
    "invitation": {"team_name": "Blue", "inviter_name": "Grace", "role": "admin", "link": LINK},
    "account_deleted": {"name": "Ada"},
}


def test_every_template_has_a_context_here() -> None:
    assert set(CONTEXTS) == set(TEMPLATES)
    assert set(TEMPLATES) == {
        "verify_email",
        "reset_password",
        "change_email",
        "email_changed",
        "invitation",
        "account_deleted",
    }


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_use_exactly_their_keys(name: str) -> None:
    for filename in (f"{name}.txt", f"{name}.html"):
        assert set(load(filename).get_identifiers()) == TEMPLATES[name].keys, filename


LINKLESS = {name for name, spec in TEMPLATES.items() if "link" not in spec.keys}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_render_gives_subject_text_and_html_with_the_link(name: str) -> None:
    mail = render(name, CONTEXTS[name])
    assert mail.subject
    assert "\n" not in mail.subject
    if name not in LINKLESS:
        assert LINK in mail.text
        assert 'href="http://127.0.0.1:3000/verify?token=abc-123&amp;x=1"' in mail.html
    assert mail.html.startswith("<!doctype html>")
    assert "$" not in mail.text + mail.html


def test_html_is_escaped_and_text_is_not() -> None:
    mail = render("verify_email", {"name": "<script>alert('x')</script> & co", "link": LINK})
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in mail.html
    assert "Hello <script>alert('x')</script> & co," in mail.text


def test_change_email_names_the_new_address() -> None:
    mail = render("change_email", CONTEXTS["change_email"])
    assert "new@example.test" in mail.text
    assert "new@example.test" in mail.html


def test_email_changed_names_both_addresses_and_carries_no_link() -> None:
    mail = render("email_changed", CONTEXTS["email_changed"])
    for body in (mail.text, mail.html):
        assert "old@example.test" in body
        assert "new@example.test" in body
    assert "http" not in mail.text
    assert "$" not in mail.text + mail.html


def test_invitation_subject_names_inviter_and_team_on_one_line() -> None:
    context = {
        **CONTEXTS["invitation"],
        "team_name": "Blue\r\nBcc: evil@example.test",
        "inviter_name": "Grace",
    }
    mail = render("invitation", context)
    assert mail.subject == "Grace invited you to Blue Bcc: evil@example.test on teamsapp"
    assert "as admin" in mail.text


def test_long_subject_is_cut_to_the_column_size() -> None:
    mail = render("invitation", {**CONTEXTS["invitation"], "team_name": "x" * 400})
    assert len(mail.subject) == 255


def test_unknown_template_is_a_clear_error() -> None:
    with pytest.raises(MailTemplateError, match="unknown mail template 'welcome'"):
        render("welcome", {"name": "Ada"})


def test_missing_context_key_is_a_clear_error() -> None:
    with pytest.raises(MailTemplateError, match=r"missing \['link'\]"):
        render("verify_email", {"name": "Ada"})


def test_unexpected_context_key_is_a_clear_error() -> None:
    with pytest.raises(MailTemplateError, match=r"unexpected \['token'\]"):
        render("verify_email", {"name": "Ada", "link": LINK, "token": "abc"})
