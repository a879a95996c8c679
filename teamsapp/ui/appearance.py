"""The user's theme and accent colour: applied at once, and right on first paint on every device.

Radix Themes fixes the accent at build time (`data-accent-color` in the prerendered HTML), and
Reflex applies the colour mode only after hydration unless it is in `localStorage["theme"]`. So:
- the plugin ships a stylesheet that re-points the `--accent-*` variables of every Radix root at
  the colour named by `<html data-accent="...">`, and a small React component (`AppearanceSync`);
- a script in the document head sets `data-accent` from `localStorage` before the body paints
  (Reflex's own head script does the same for the colour mode);
- `AppearanceSync`, on every page, applies the appearance the server sent for the logged-in user
  (after log-in on a new device, or a change on another one) and stores it for the next first paint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import reflex as rx
from reflex.plugins import Plugin

from teamsapp.models import AccentColor

STORAGE_KEY = "teamsapp-accent"
STYLESHEET = "teamsapp_appearance.css"
MODULE = "utils/teamsapp_appearance.js"
SCALE = [*(str(step) for step in range(1, 13)), *(f"a{step}" for step in range(1, 13))]
EXTRAS = ["contrast", "surface", "indicator", "track"]

_COMPONENT_JS = f"""import {{ useContext, useEffect }} from "react";
import {{ ColorModeContext }} from "$/utils/context-registry";

const STORAGE_KEY = {json.dumps(STORAGE_KEY)};
const ACCENTS = {json.dumps([accent.value for accent in AccentColor])};

export function AppearanceSync({{ theme, accent }}) {{
  const {{ rawColorMode, setColorMode }} = useContext(ColorModeContext);
  useEffect(() => {{
    if (theme && theme !== rawColorMode) {{
      setColorMode(theme);
    }}
  }}, [theme]);
  useEffect(() => {{
    if (!ACCENTS.includes(accent)) {{
      return;
    }}
    document.documentElement.setAttribute("data-accent", accent);
    try {{
      localStorage.setItem(STORAGE_KEY, accent);
    }} catch (error) {{
      // Private modes may refuse storage: the accent still applies to this page.
    }}
  }}, [accent]);
  return null;
}}
"""

_FIRST_PAINT_JS = f"""try {{
  const accent = localStorage.getItem({json.dumps(STORAGE_KEY)});
  if ({json.dumps([accent.value for accent in AccentColor])}.includes(accent)) {{
    document.documentElement.setAttribute("data-accent", accent);
  }}
}} catch (error) {{}}
"""


def stylesheet() -> str:
    """CSS that gives every Radix Themes root the accent named on `<html data-accent>`."""
    rules = []
    for accent in AccentColor:
        declarations = [f"  --accent-{step}: var(--{accent}-{step});" for step in SCALE]
        declarations += [f"  --accent-{extra}: var(--{accent}-{extra});" for extra in EXTRAS]
        rules.append(f'html[data-accent="{accent}"] .radix-themes {{\n' + "\n".join(declarations) + "\n}")
    return "\n".join(rules) + "\n"


def store_script(theme: str, accent: str) -> str:
    """JavaScript that stores an appearance for the next first paint (Reflex reads `theme` itself)."""
    return (
        f"try {{ localStorage.setItem('theme', {json.dumps(theme)}); "
        f"localStorage.setItem({json.dumps(STORAGE_KEY)}, {json.dumps(accent)}); }} catch (error) {{}}"
    )


def first_paint_script() -> rx.Component:
    """The head script that applies the stored accent before the body paints."""
    return rx.el.script(_FIRST_PAINT_JS)


class AppearancePlugin(Plugin):
    """Ships the accent stylesheet and the `AppearanceSync` component into the frontend build."""

    def get_static_assets(self, **context: object) -> Sequence[tuple[Path, str | bytes]]:
        """The stylesheet (under styles/) and the component module (under utils/)."""
        return [(Path("styles") / STYLESHEET, stylesheet()), (Path(MODULE), _COMPONENT_JS)]

    def get_stylesheet_paths(self, **context: object) -> Sequence[str]:
        """The stylesheet, relative to the styles directory."""
        return [f"./{STYLESHEET}"]


class AppearanceSync(rx.Component):
    """Applies a theme and an accent colour sent by the server, and keeps them for the next visit."""

    library = f"$/{MODULE.removesuffix('.js')}"
    tag = "AppearanceSync"

    theme: rx.Var[str]
    accent: rx.Var[str]


appearance_sync = AppearanceSync.create
