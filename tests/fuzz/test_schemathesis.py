"""Schemathesis against /api/openapi.json of the running API: every operation, positive and negative
examples, every check. Zero server errors and zero schema violations.

The CLI runs its four phases (schema examples, coverage of boundaries and negative cases, random
fuzzing, and stateful sequences that feed one answer's ids into the next call) against a uvicorn
server of the suite's database, as the users `tests/fuzz/hooks.py` picks per operation.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from teamsapp.core.db import sync_url
from teamsapp.personal_tokens import service as api_token_service
from tests.factories.api_tokens import make_api_token
from tests.factories.users import DEFAULT_PASSWORD, make_user
from tests.fixtures.mail import Mailbox
from tests.resilience.processes import ROOT, VENV_BIN, AppServer
from tests.services import PrivateRedis

# Bounded so the run takes a few minutes on two cores; SCHEMATHESIS_MAX_EXAMPLES raises it locally.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261126")
RUN_TIMEOUT_SECONDS = 600
ARTIFACTS = ROOT / "test-artifacts"
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[AppServer]:
    """The API served alone by uvicorn on the suite's database and SMTP server, with a Redis of its
    own: the fuzzer's failed log-ins must not rate-limit 127.0.0.1 for the browser tests.
    """
    base = tmp_path_factory.mktemp("fuzz")
    redis = PrivateRedis(base)
    redis.start()
    # A long access-token lifetime: the run's main session must outlive the run.
    server = AppServer(
        env={"BACKEND_ACCESS_TOKEN_MINUTES": "120", "BACKEND_REDIS_URL": redis.url}, log_path=base / "app.log"
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        redis.stop()


@pytest.fixture
async def fuzz_users() -> AsyncIterator[dict[str, str]]:
    """The accounts the run acts as, by the environment variable the hooks read: fresh for each run,
    as a run's wrong `current_password`s lock its user's log-ins for 15 minutes."""
    user = await make_user(verified=True)
    sessions_user = await make_user(verified=True)
    superuser = await make_user(verified=True, superuser=True)
    tokens_user = await make_user(verified=True)
    standin = await make_user(verified=True)
    yield {
        "FUZZ_USER": user.email,
        "FUZZ_SESSIONS_USER": sessions_user.email,
        "FUZZ_SUPERUSER": superuser.email,
        "FUZZ_TOKENS_USER": tokens_user.email,
        # Sent instead of a log-in session where a route takes tokens, in the `api-token` run.
        "FUZZ_API_TOKEN": (await make_api_token(user)).token,
        "FUZZ_PROTECTED_IDS": ",".join(str(u.id) for u in (user, sessions_user, superuser, tokens_user)),
        "FUZZ_STANDIN_ID": str(standin.id),
    }


def _schemathesis(
    server: AppServer, users: dict[str, str], report_dir: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        str(VENV_BIN / "schemathesis"),
        *("--config-file", str(CONFIG)),
        "run",
        f"{server.url}/api/openapi.json",
        *("--checks", "all"),
        *("--mode", "all"),
        *("--phases", "examples,coverage,fuzzing,stateful"),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--seed", SEED),
        # One worker: hypothesis describes strategies with ast.parse, which CPython 3.11 can fail in
        # concurrent threads ("AST constructor recursion depth mismatch").
        *("--workers", "1"),
        *("--request-timeout", "10"),
        *("--report", "json", "--report-dir", str(report_dir)),
        *("--generation-database", "none"),
        "--no-color",
    ]
    env = {
        **os.environ,
        **users,
        "FUZZ_BASE_URL": server.url,
        "FUZZ_PASSWORD": DEFAULT_PASSWORD,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "PYTHONPATH": str(ROOT),
    }
    # Run from the temp dir: Schemathesis keeps a cache of past failures in its working directory,
    # and each run must start fresh (the seed alone decides what it tries).
    return subprocess.run(
        command,
        cwd=report_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def _server_errors(server: AppServer) -> str:
    lines = server.log().splitlines()
    return "\n".join(line for line in lines if '"level": "ERROR"' in line or "Traceback" in line)


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 60)
@pytest.mark.parametrize("credential", ["session", "api-token"])
def test_every_operation_conforms_to_the_schema(
    fuzz_server: AppServer, fuzz_users: dict[str, str], tmp_path: Path, credential: str
) -> None:
    users = fuzz_users if credential == "api-token" else {**fuzz_users, "FUZZ_API_TOKEN": ""}
    result = _schemathesis(fuzz_server, users, tmp_path)
    output = result.stdout + result.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"schemathesis-{credential}.txt").write_text(output)
    assert result.returncode == 0, f"schemathesis found problems:\n{output}\n{_server_errors(fuzz_server)}"
    assert not _server_errors(fuzz_server)
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    operations, cases = report["operations"], report["test_cases"]
    print(
        f"schemathesis ({credential}): {operations['tested']}/{operations['total']} operations, "
        f"{cases['generated']} test cases, {cases['unique_failures']} failures, {cases['errored']} errors "
        f"(seed {report['seed']})"
    )
    assert report["complete"] and operations["tested"] == operations["total"]
    assert cases["unique_failures"] == 0 and cases["errored"] == 0 and not report["errors"]
    if credential == "api-token":
        assert _token_was_used(fuzz_users["FUZZ_API_TOKEN"]), "the run never sent its API token"


def _token_was_used(token: str) -> bool:
    # Read from the database: the fuzzer's wrong `current_password`s lock its user's log-ins.
    engine = create_engine(sync_url(os.environ["BACKEND_DB_URL"]))
    try:
        with engine.connect() as connection:
            used = connection.execute(
                text("SELECT last_used_at FROM api_token WHERE token_hash = :hash"),
                {"hash": api_token_service.hash_token(token)},
            ).scalar_one()
    finally:
        engine.dispose()
    return used is not None
