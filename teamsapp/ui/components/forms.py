"""Form pieces: a labelled field with its inline message, and the form with its submit button."""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar

from teamsapp.models import Role
from teamsapp.ui.forms import FormMixin


def field(
    state: type[FormMixin],
    name: str,
    label: str,
    *,
    form: str,
    kind: str = "text",
    autocomplete: str | None = None,
    default_value: Any = None,
    hint: str | None = None,
    check: bool = True,
    **props: Any,
) -> rx.Component:
    """A labelled input that is checked as the user types and shows its message right below."""
    input_id = f"{form}-{name.replace('_', '-')}"
    message_id = f"{input_id}-message"
    errors = cast(ObjectVar[dict[str, str]], state.errors)
    error = errors.get(name, "").to(str)
    extra: dict[str, Any] = {}
    if default_value is not None:
        extra["default_value"] = default_value
    if autocomplete is not None:
        extra["auto_complete"] = autocomplete
    if check:
        extra["on_change"] = state.check(name)
    return rx.vstack(
        rx.el.label(rx.text(label, weight="medium", size="2"), html_for=input_id),
        rx.input(
            id=input_id,
            name=name,
            type=kind,
            width="100%",
            custom_attrs={
                "aria-invalid": rx.cond(error != "", "true", "false"),
                "aria-describedby": message_id,
            },
            **extra,
            **props,
        ),
        rx.text(
            rx.cond(error != "", error, hint or ""),
            id=message_id,
            size="1",
            color_scheme=rx.cond(error != "", "red", "gray"),
            aria_live="polite",
        ),
        spacing="1",
        width="100%",
    )


def role_select(name: str, label: str, *, form: str, default: Any) -> rx.Component:
    """A labelled choice of team role, sent with the form under `name`."""
    select_id = f"{form}-{name.replace('_', '-')}"
    return rx.vstack(
        rx.el.label(rx.text(label, weight="medium", size="2"), html_for=select_id),
        rx.select([role.value for role in Role], name=name, default_value=default, id=select_id),
        spacing="1",
    )


def password_field(
    state: type[FormMixin], name: str, label: str, *, form: str, new: bool = False, hint: str | None = None
) -> rx.Component:
    """A password field; `new` lets the browser's password manager offer a fresh one."""
    autocomplete = "new-password" if new else "current-password"
    return field(state, name, label, form=form, kind="password", autocomplete=autocomplete, hint=hint)


def form(
    state: type[FormMixin], *children: rx.Component, submit: str, on_submit: Any, label: str
) -> rx.Component:
    """A form that hands its fields to `on_submit`; the browser's own bubbles are off (we check).

    It ends with the `submit` button, a spinner and disabled while the action runs.
    """
    button = rx.button(submit, type="submit", loading=state.running, disabled=state.running)
    return rx.form(
        rx.vstack(*children, button, spacing="3", width="100%"),
        on_submit=on_submit,
        reset_on_submit=False,
        custom_attrs={"aria-label": label, "noValidate": True},
        width="100%",
    )
