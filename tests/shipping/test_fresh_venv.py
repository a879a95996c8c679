"""What users install is what the tests prove: a new venv from requirements.txt alone migrates a
new SQLite file, serves the API alone under uvicorn (logging cleanly), serves the production app as
`make run` does (sign-up round trip in Chromium), and `pip install .` gives the `teamsapp` command.

Without `greenlet` in requirements.txt each of these fails at `import teamsapp` (SQLAlchemy 2.1's
asyncio layer needs it and no longer installs it).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.live import in_browser_thread
from tests.resilience.processes import ROOT, AppServer, ReflexInstance
from tests.shipping.fresh import PASSWORD, fresh_env, project_version, run

PROBLEMS = ("Logging error", "Traceback", "is being redefined")
# A venv installed from the package index, and the production build: minutes on a shared machine.
pytestmark = pytest.mark.timeout(1800)


def _migrate(bin_dir: Path, env: dict[str, str]) -> None:
    result = run(bin_dir, "alembic", "upgrade", "head", env=env)
    assert result.returncode == 0, result.stderr


def test_the_fresh_venv_migrates_and_serves_the_api_alone_with_a_clean_log(
    fresh_venv: Path, tmp_path: Path
) -> None:
    env = fresh_env(fresh_venv, tmp_path)
    # uvicorn[standard]: its fast parser and loop are there.
    assert run(fresh_venv, "python", "-c", "import httptools, uvloop, websockets", env=env).returncode == 0
    _migrate(fresh_venv, env)
    # uvicorn's own log level, as `uvicorn teamsapp.api:api` runs by default (each request logged).
    server = AppServer(
        env=env, log_path=tmp_path / "uvicorn.log", inherit=False, bin_dir=fresh_venv, log_level="info"
    )
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            health = http.get("/api/v1/monitoring/health")
            assert health.status_code == 200, health.text
            assert health.json()["migration"] == health.json()["migration_head"]
            assert http.post("/api/v1/echo", json={"message": "hi"}).status_code == 200
            assert http.get("/api/v1/user/me").status_code == 401
            assert http.get("/api/v1/nowhere?token=s3cr3t-in-a-query").status_code == 404
            assert http.get("/api/openapi.json").json()["info"]["version"] == project_version()
        # The access line is written once the answer has gone out.
        deadline = time.monotonic() + 10
        while "POST /api/v1/echo 200" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.stop()
    log = server.log()
    assert "POST /api/v1/echo 200" in log and "GET /api/v1/user/me 401" in log
    assert "Application startup complete" in log
    for problem in (*PROBLEMS, "s3cr3t-in-a-query"):
        assert problem not in log, f"{problem!r} in the server log:\n{log}"


def test_pip_install_gives_the_teamsapp_command(fresh_venv: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "teamsapp", source / "teamsapp", ignore=shutil.ignore_patterns("__pycache__"))
    env = fresh_env(fresh_venv, tmp_path)
    installed = run(fresh_venv, "python", "-m", "pip", "install", str(source), env=env)
    assert installed.returncode == 0, installed.stderr

    version = run(fresh_venv, "teamsapp", "--version", env=env, cwd=tmp_path)
    assert version.stdout.strip() == f"teamsapp {project_version()}", version.stderr

    # Migrations live beside the app: the command runs in the project directory, like `reflex run`.
    lost = run(fresh_venv, "teamsapp", "migrate", env=env, cwd=tmp_path)
    assert lost.returncode == 1 and lost.stderr.count("\n") == 1 and "project directory" in lost.stderr
    migrated = run(fresh_venv, "teamsapp", "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(tmp_path / "teamsapp.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() is not None

    created = run(
        fresh_venv,
        "teamsapp",
        *("create-superuser", "--email", "root@example.com", "--username", "root", "--password-stdin"),
        env=env,
        cwd=tmp_path,
        stdin=f"{PASSWORD}\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("superuser root <root@example.com> created")


@pytest.mark.browser
def test_the_fresh_venv_serves_the_production_app_as_make_run_does(fresh_venv: Path, tmp_path: Path) -> None:
    env = fresh_env(fresh_venv, tmp_path)
    _migrate(fresh_venv, env)
    app = ReflexInstance(base=tmp_path, name="fresh-venv", env=env, bin_dir=fresh_venv, inherit=False)
    app.env["BACKEND_PUBLIC_URL"] = app.url
    app.start()
    try:
        in_browser_thread(lambda browser: _sign_up_verify_and_log_in(browser.new_page(base_url=app.url), app))
    finally:
        app.stop()
    log = app.log()
    for default in ("SQLite file", "in-process Redis stand-in", "mail goes to the log"):
        assert f"embedded default: {default}" in log
    for problem in PROBLEMS:
        assert problem not in log, f"{problem!r} in the server log:\n{log}"


def _sign_up_verify_and_log_in(page: Page, app: ReflexInstance) -> None:
    page.goto("/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent a confirmation link to")).to_be_visible()
    page.goto(_mailed_link(app, "/verify?token="))
    # Confirming an address asks for the password the account keeps (the mailbox owner decides it).
    expect(page.get_by_role("form", name="Confirm your email address")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    page.goto("/login")
    page.get_by_label("Email or username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/teams/?$"))
    expect(page.get_by_role("button", name="Account menu")).to_contain_text("ada")


def _mailed_link(app: ReflexInstance, path: str) -> str:
    pattern = re.compile(r"https?://\S+" + re.escape(path) + r"[A-Za-z0-9_\-]+")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = pattern.search(app.log())
        if found:
            return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no {path} link in the log")
