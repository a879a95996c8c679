"""Theme and accent colour: applied at once here, and on every device the user logs in from."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx
from pydantic import ValidationError
from reflex.event import EventSpec

from teamsapp.core.errors import DomainError
from teamsapp.models import AccentColor, Theme
from teamsapp.ui import routes
from teamsapp.ui.components.layout import loading, page, section
from teamsapp.ui.state.auth import AuthState, acting, failure
from teamsapp.users import service as user_service
from teamsapp.users.schemas import AppearanceUpdate


class AppearanceState(rx.State):
    """Saves the choice through the user service; `AuthState` carries it to `AppearanceSync`."""

    saving: rx.Field[bool] = rx.field(False)

    async def _save(self, choice: dict[str, str], unknown: str) -> AsyncIterator[EventSpec | None]:
        try:
            data = AppearanceUpdate.model_validate(choice)
        except ValidationError:
            yield rx.toast.error(unknown)
            return
        auth = await self.get_state(AuthState)
        before = (auth.theme, auth.accent_color)
        # Shown at once; put back if the server refuses.
        auth.theme = data.theme or auth.theme
        auth.accent_color = data.accent_color or auth.accent_color
        self.saving = True
        yield None
        try:
            async with acting(self) as (session, principal):
                user = await user_service.update_appearance(session, actor=principal.user, data=data)
                auth._remember(user)
        except DomainError as error:
            auth.theme, auth.accent_color = before
            self.saving = False
            yield await failure(self, error)
            return
        self.saving = False
        yield rx.toast.success("Appearance saved for all your devices.")

    @rx.event
    async def set_theme(self, theme: str) -> AsyncIterator[EventSpec | None]:
        """Choose light, dark or the system's theme."""
        async for event in self._save({"theme": theme}, "Unknown theme."):
            yield event

    @rx.event
    async def set_accent(self, accent: str) -> AsyncIterator[EventSpec | None]:
        """Choose the accent colour."""
        async for event in self._save({"accent_color": accent}, "Unknown accent colour."):
            yield event


def _theme_picker() -> rx.Component:
    return section(
        "Theme",
        "theme-heading",
        rx.radio_group.root(
            rx.hstack(
                *(
                    rx.el.label(
                        rx.hstack(
                            rx.radio_group.item(value=theme.value), rx.text(theme.value.title()), spacing="2"
                        ),
                    )
                    for theme in Theme
                ),
                spacing="5",
            ),
            value=AuthState.theme,
            on_change=AppearanceState.set_theme,
            disabled=AppearanceState.saving,
            aria_labelledby="theme-heading",
        ),
    )


def _swatch(accent: AccentColor) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=accent.value, color_scheme=accent.value),
            rx.box(width="1em", height="1em", border_radius="50%", background=f"var(--{accent.value}-9)"),
            rx.text(accent.value.title(), size="2"),
            spacing="2",
            align="center",
        ),
    )


def _accent_picker() -> rx.Component:
    return section(
        "Accent colour",
        "accent-heading",
        rx.radio_group.root(
            rx.grid(
                *(_swatch(accent) for accent in AccentColor),
                columns=rx.breakpoints(initial="2", sm="4"),
                spacing="3",
            ),
            value=AuthState.accent_color,
            on_change=AppearanceState.set_accent,
            disabled=AppearanceState.saving,
            aria_labelledby="accent-heading",
        ),
    )


def _preview() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("Preview", weight="medium"),
            rx.hstack(
                rx.button("Primary"),
                rx.button("Soft", variant="soft"),
                rx.badge("Badge", high_contrast=True),
                rx.link("A link", href=routes.APPEARANCE),
                spacing="3",
                align="center",
            ),
            spacing="3",
        ),
    )


@rx.page(route=routes.APPEARANCE, title="Appearance · teamsapp", on_load=AuthState.guard)
def appearance_page() -> rx.Component:
    """The appearance page."""
    return page(
        "Appearance",
        rx.cond(
            AuthState.logged_in,
            rx.fragment(
                rx.text("Your choice applies at once and follows you to every device you log in from."),
                _theme_picker(),
                _accent_picker(),
                _preview(),
            ),
            loading("Loading your appearance"),
        ),
        width="3",
    )
