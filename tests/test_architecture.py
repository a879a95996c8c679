"""The layering rule: core, models and services import neither FastAPI nor Reflex."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "teamsapp"
FRAMEWORKS = ("fastapi", "starlette", "reflex")
FRAMEWORK_FREE = ("core", "models", "users", "auth", "teams", "invitations", "mail", "monitoring")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _framework_free_modules() -> list[Path]:
    modules = [path for part in FRAMEWORK_FREE for path in (PACKAGE / part).rglob("*.py")]
    return [*modules, PACKAGE / "lifespan.py"]


def test_framework_free_layers_import_no_framework() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _framework_free_modules()
        for name in _imports(path)
        if name.split(".")[0] in FRAMEWORKS
    }
    assert not offenders, sorted(offenders)


def test_layers_exist() -> None:
    assert (PACKAGE / "core").is_dir()
    assert (PACKAGE / "models").is_dir()
    assert len(_framework_free_modules()) > 10


def test_services_never_import_the_doors() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _framework_free_modules()
        for name in _imports(path)
        if name.startswith(("teamsapp.api", "teamsapp.ui"))
    }
    assert not offenders, sorted(offenders)
