"""One bench run: data, the bcrypt floor, the app on loopback, every figure, the result."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench import floor, infra, profile, ui
from bench.figures import (
    API_TOKEN,
    CALIBRATED_KEYS,
    CALIBRATED_REFERENCE,
    ME_UNDER_LOGIN_P99_MS,
    WORKER_RSS_MB,
    HttpFigure,
    Target,
    ceiling,
    routes,
)
from bench.load import Request, Run, median_of, wrk
from bench.plan import Plan
from bench.seed import PASSWORD, Seeded, seed
from bench.server import AppServer

ARTIFACTS = infra.ROOT / "test-artifacts" / "bench"
# Where the measured app runs from: this checkout, or another one (a baseline) with BENCH_APP_DIR.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR", str(infra.ROOT)))
CALIBRATION_REQUEST = Request("GET", "/")
SEED_BCRYPT_ROUNDS = 4
LOGIN_PAGE = "/login"
API_TOKENS = "/api/v1/user/tokens"
BUSY_LOAD_AVERAGE = 1.5


async def run(plan: Plan, *, profile_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Everything the result file holds."""
    started = time.monotonic()
    result: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": plan.quick,
        "plan": {**plan.__dict__, "only": sorted(plan.only), "description": plan.describe()},
        "machine": infra.describe_machine(),
        "skipped": [],
        "warnings": [],
    }
    infra.check_tools()
    backing = infra.prepare()
    secret_key = secrets.token_urlsafe(48)
    try:
        _use_backing(backing, secret_key)
        infra.log("seeding through the services")
        seeded = await seed(bcrypt_rounds=plan.bcrypt_rounds)
        result["seed"] = seeded.how
        infra.log(f"bcrypt floor at cost {plan.bcrypt_rounds} on {os.cpu_count()} cores")
        result["bcrypt_floor"] = await asyncio.to_thread(
            floor.measure, rounds=plan.bcrypt_rounds, seconds=plan.floor_s, repeats=plan.repeats
        )
        calibration = AppServer(
            env=infra.calibration_env(),
            port=infra.free_port(),
            log_path=ARTIFACTS / "calibration.log",
            time_limit=plan.time_limit_s * len(plan.servers),
            kind="calibration",
        )
        infra.log(
            f"starting the calibration server (bench/calibration.py, one uvicorn worker) on {calibration.url}"
        )
        await asyncio.to_thread(calibration.start)
        result["servers"] = {}
        result["processes"] = []
        try:
            await wrk(
                calibration.url,
                CALIBRATION_REQUEST,
                connections=plan.connections,
                seconds=plan.warmup_s,
                timeout_s=10,
            )
            for kind in plan.servers:
                await _serve_and_measure(
                    kind, backing, secret_key, plan, seeded, result, profile_keys, calibration
                )
        finally:
            calibration.stop()
            result["processes"] += _memory(calibration, "calibration")
        if not backing.still_ours():
            result["warnings"].append(
                f"another process flushed Redis {backing.redis_url} during the run (a test suite on the "
                "same index?): rate limits and Reflex states were shared; set BENCH_REDIS_URL to a Redis "
                "of its own"
            )
    finally:
        backing.release()
    _judge_memory(result)
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["machine"]["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    busiest = max(result["machine"]["load_average_before"][0], result["machine"]["load_average_after"][0])
    if busiest > BUSY_LOAD_AVERAGE:
        result["warnings"].append(
            f"the machine was busy with other work (load average up to {busiest:.1f} on "
            f"{os.cpu_count()} cores): every figure is lower than on a quiet machine"
        )
    return result


async def _serve_and_measure(
    kind: str,
    backing: infra.Backing,
    secret_key: str,
    plan: Plan,
    seeded: Seeded,
    result: dict[str, Any],
    profile_keys: frozenset[str],
    calibration: AppServer,
) -> None:
    port = infra.free_port()
    server = AppServer(
        env=infra.app_env(backing, port=port, secret_key=secret_key, bcrypt_rounds=plan.bcrypt_rounds),
        port=port,
        log_path=ARTIFACTS / ("server.log" if kind == "granian" else f"server-{kind}.log"),
        time_limit=plan.time_limit_s,
        workers=plan.workers,
        kind=kind,
        cwd=APP_DIR,
    )
    how = "reflex run --env prod --single-port, granian" if kind == "granian" else "uvicorn teamsapp.api:api"
    infra.log(f"starting the app ({how}) from {APP_DIR} on {server.url}")
    try:
        await asyncio.to_thread(server.start)
        result["servers"][kind] = {
            "url": server.url,
            "startup_s": round(server.startup_seconds, 1),
            "how": how,
        }
        result.setdefault("server", result["servers"][kind] | {"redis": backing.redis_url})
        await _measure_all(server, plan, seeded, result, profile_keys, calibration)
    finally:
        server.stop()
        result["processes"] += _memory(server, kind)


def _memory(server: AppServer, kind: str) -> list[dict[str, Any]]:
    return [
        {
            "server": kind,
            "pid": memory.pid,
            "role": memory.role if kind != "calibration" else "calibration",
            "peak_rss_mb": round(memory.peak_kb / 1024, 1),
            "final_rss_mb": round(memory.last_kb / 1024, 1),
        }
        for memory in server.memory
    ]


def _use_backing(backing: infra.Backing, secret_key: str) -> None:
    # The seeding runs in this process through the services: it reads the same settings.
    for name in [name for name in os.environ if name.startswith("BACKEND_")]:
        del os.environ[name]
    os.environ.update(
        {
            "BACKEND_ENVIRONMENT": "prod",
            "BACKEND_SECRET_KEY": secret_key,
            "BACKEND_DB_URL": backing.database_url,
            "BACKEND_REDIS_URL": backing.redis_url,
            "BACKEND_BCRYPT_ROUNDS": str(SEED_BCRYPT_ROUNDS),
        }
    )


async def _measure_all(
    server: AppServer,
    plan: Plan,
    seeded: Seeded,
    result: dict[str, Any],
    profile_keys: frozenset[str],
    calibration: AppServer,
) -> None:
    paths = await _api_paths(server.url)
    tokens = await _tokens(server.url, [seeded.me, seeded.creator, seeded.inviter], paths)
    if not tokens:
        result["skipped"].append("every authenticated route: no log-in route (POST /api/v1/user/auth) yet")
    floor_rate = result["bcrypt_floor"]["hashes_per_s"]
    # Log-ins left queued when wrk stops keep the worker hashing: wait for them, at most this long.
    settle_s = round(3 * plan.connections / max(floor_rate, 0.1), 1)
    figures = [ceiling(paths), *routes(seeded, tokens, settle_s=settle_s, login_min_s=plan.login_min_s)]
    measured: list[dict[str, Any]] = []
    for figure in figures:
        if not plan.selected(figure.key):
            continue
        infra.log(f"measuring {figure.title} ({server.kind})")
        measured.append(
            await _measure_http(server, plan, figure, paths, profile_keys, result["skipped"], calibration)
        )
    if plan.selected("user_me_under_login"):
        infra.log(f"measuring GET /api/v1/user/me while log-ins run ({server.kind})")
        measured.append(await _me_under_login(server, plan, figures, paths, settle_s, result["skipped"]))
    for entry in measured:
        entry["server"] = server.kind
    _compare(measured, result["bcrypt_floor"])
    result.setdefault("http", []).extend(measured)
    if plan.selected("ui") and server.kind == "granian":
        result["ui"] = await ui.measure(server.url, plan, result["skipped"])


async def _api_paths(base_url: str) -> dict[str, set[str]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        answer = await client.get("/api/openapi.json")
    answer.raise_for_status()
    return {path: {method.upper() for method in item} for path, item in answer.json()["paths"].items()}


async def _tokens(base_url: str, usernames: list[str], paths: dict[str, set[str]]) -> dict[str, str]:
    if "POST" not in paths.get("/api/v1/user/auth", set()):
        return {}
    tokens: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for username in usernames:
            answer = await client.post("/api/v1/user/auth", json={"login": username, "password": PASSWORD})
            answer.raise_for_status()
            tokens[username] = answer.json()["access_token"]
        if "POST" in paths.get(API_TOKENS, set()) and usernames:
            # The first user's personal API token, for GET /me as a scripted client calls it.
            session = {"Authorization": f"Bearer {tokens[usernames[0]]}"}
            answer = await client.post(
                API_TOKENS, json={"name": "bench", "scopes": ["user:read"]}, headers=session
            )
            answer.raise_for_status()
            tokens[API_TOKEN] = answer.json()["token"]
    return tokens


def _missing(figure: HttpFigure, paths: dict[str, set[str]]) -> str | None:
    if figure.method not in paths.get(figure.template, set()):
        return f"{figure.method} {figure.template} is not in the API yet"
    if figure.request is None:
        return "no route to measure"
    if figure.who and not figure.who.endswith("*") and not figure.request.token:
        return "no access token (the log-in route did not answer)"
    return None


def _base(figure: HttpFigure, plan: Plan, connections: int) -> dict[str, Any]:
    return {
        "key": figure.key,
        "title": figure.title,
        "method": figure.method,
        "path": figure.template,
        "as": figure.who,
        "connections": connections,
        "duration_s": plan.duration_s,
        "reference": figure.reference,
        "target": figure.target.describe(),
        "_target": figure.target,
    }


async def _measure_http(
    server: AppServer,
    plan: Plan,
    figure: HttpFigure,
    paths: dict[str, set[str]],
    profile_keys: frozenset[str],
    skipped: list[str],
    calibration: AppServer,
) -> dict[str, Any]:
    entry = _base(figure, plan, plan.connections)
    reason = _missing(figure, paths)
    if reason:
        entry["skipped"] = reason
        skipped.append(f"{figure.title}: {reason}")
        return entry
    assert figure.request is not None
    seconds = max(plan.duration_s, figure.min_duration_s)
    entry["duration_s"] = seconds
    server.mark_log()
    await _wrk(server, figure.request, plan.warmup_s, figure.timeout_s, plan.connections)
    await _settle(server, figure.settle_s)
    runs: list[Run] = []
    calibrations: list[float] = []
    checks_before = await _access_checks(server.url)
    for repeat in range(plan.repeats):
        if figure.key in CALIBRATED_KEYS:
            # Alternating, so that whatever else the machine does weighs on both alike.
            calibrated = await wrk(
                calibration.url, CALIBRATION_REQUEST, connections=plan.connections,
                seconds=plan.calibration_s, timeout_s=10,
            )  # fmt: skip
            calibrations.append(calibrated.req_per_s)
        profiling = figure.key in profile_keys and repeat == 0 and server.kind == plan.servers[0]
        spy = profile.start(server, figure.key, seconds) if profiling else None
        runs.append(await _wrk(server, figure.request, seconds, figure.timeout_s, plan.connections))
        if spy is not None:
            entry["profile"] = await profile.finish(spy)
        await _settle(server, figure.settle_s)
        runs[-1].worker_rss_mb = [round(kb / 1024, 1) for kb in server.worker_rss_kb()]
    _summarize(entry, runs)
    entry["access_checks"] = await _access_checks(server.url, before=checks_before)
    if calibrations:
        entry["calibration_req_per_s"] = [round(rate, 1) for rate in calibrations]
        entry["vs_calibration"] = round(
            statistics.median(
                run.req_per_s / rate for run, rate in zip(runs, calibrations, strict=True) if rate
            ),
            4,
        )
    entry["server_errors"] = server.errors_since_mark()
    return entry


async def _access_checks(base_url: str, *, before: dict[str, float] | None = None) -> dict[str, float]:
    """The app's access checks so far by where they were answered (cache, database), less `before`."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        text = (await client.get("/metrics")).text
    counts = {
        source: float(value)
        for source, value in re.findall(
            r'^teamsapp_access_checks_total\{source="(\w+)"\} (\S+)$', text, re.MULTILINE
        )
    }
    return {source: count - (before or {}).get(source, 0.0) for source, count in counts.items()}


async def _settle(server: AppServer, most_s: float) -> None:
    if most_s > 0:
        await asyncio.to_thread(server.wait_idle, most_s=most_s)


async def _wrk(
    server: AppServer, request: Request, seconds: float, timeout_s: float, connections: int
) -> Run:
    return await wrk(server.url, request, connections=connections, seconds=seconds, timeout_s=timeout_s)


def _summarize(entry: dict[str, Any], runs: list[Run]) -> None:
    entry["repeats"] = [run.as_dict() for run in runs]
    entry["median"] = {key: round(value, 2) for key, value in median_of(runs).items()}
    entry["errors"] = sum(run.errors for run in runs)
    entry["requests"] = sum(run.requests for run in runs)
    rss = [max(run.worker_rss_mb) for run in runs if run.worker_rss_mb]
    entry["worker_rss_mb"] = rss
    entry["rss_growth_mb"] = round(rss[-1] - rss[0], 1) if rss else None


async def _me_under_login(
    server: AppServer,
    plan: Plan,
    figures: list[HttpFigure],
    paths: dict[str, set[str]],
    settle_s: float,
    skipped: list[str],
) -> dict[str, Any]:
    me = next(figure for figure in figures if figure.key == "user_me")
    login = next(figure for figure in figures if figure.key == "login")
    probe = HttpFigure(
        "user_me_under_login",
        "GET /api/v1/user/me while log-ins run",
        me.method,
        me.template,
        me.request,
        me.who,
        Target(p99_ms=ME_UNDER_LOGIN_P99_MS),
    )
    entry = _base(probe, plan, plan.me_under_login_connections)
    reason = _missing(me, paths) or _missing(login, paths)
    if reason:
        entry["skipped"] = reason
        skipped.append(f"{probe.title}: {reason}")
        return entry
    assert me.request is not None and login.request is not None
    server.mark_log()
    me_runs: list[Run] = []
    login_runs: list[Run] = []
    seconds = max(plan.duration_s, login.min_duration_s)
    entry["duration_s"] = seconds
    for repeat in range(plan.repeats + 1):
        length = seconds if repeat else plan.warmup_s
        login_run, me_run = await asyncio.gather(
            _wrk(server, login.request, length, login.timeout_s, plan.connections),
            _wrk(server, me.request, length, me.timeout_s, plan.me_under_login_connections),
        )
        await _settle(server, settle_s)
        if repeat:
            me_run.worker_rss_mb = [round(kb / 1024, 1) for kb in server.worker_rss_kb()]
            me_runs.append(me_run)
            login_runs.append(login_run)
    _summarize(entry, me_runs)
    entry["login_during"] = {
        "connections": plan.connections,
        "median": {key: round(value, 2) for key, value in median_of(login_runs).items()},
        "errors": sum(run.errors for run in login_runs),
    }
    entry["server_errors"] = server.errors_since_mark()
    return entry


def _compare(measured: list[dict[str, Any]], bcrypt_floor: dict[str, Any]) -> None:
    by_key = {entry["key"]: entry for entry in measured if "median" in entry}
    ceiling_rate = by_key["ceiling"]["median"]["req_per_s"] if "ceiling" in by_key else None
    for entry in measured:
        if "median" not in entry:
            entry.pop("_target", None)
            continue
        rate, p99 = entry["median"]["req_per_s"], entry["median"]["p99_ms"]
        if ceiling_rate and entry["key"] != "ceiling":
            entry["vs_ceiling"] = round(rate / ceiling_rate, 3)
        reference = entry.get("reference")
        if reference:
            entry["vs_reference"] = round(rate / reference["req_per_s"], 2)
        fraction = CALIBRATED_REFERENCE.get(entry["key"])
        if fraction and "vs_calibration" in entry:
            entry["reference_vs_calibration"] = fraction
            entry["vs_reference_calibrated"] = round(entry["vs_calibration"] / fraction, 2)
        entry["target_met"] = _met(entry, rate, p99, bcrypt_floor)


def _met(entry: dict[str, Any], rate: float, p99: float, bcrypt_floor: dict[str, Any]) -> bool | None:
    target: Target = entry.pop("_target")
    if target.factor is None and target.p99_ms is None:
        return None
    # No answer at all, or errors in the server log, is a miss whatever the latency of the rest says.
    met = rate > 0 and not entry.get("server_errors")
    if target.factor is not None:
        if target.of == "bcrypt floor":
            base = float(bcrypt_floor["hashes_per_s"])
            entry["vs_bcrypt_floor"] = round(rate / base, 3)
        else:
            base = float(entry["reference"]["req_per_s"])
        entry["target_req_per_s"] = round(target.factor * base, 1)
        # Against the reference through the calibration server when measured so (issue 14).
        calibrated = entry.get("vs_reference_calibrated")
        met = met and (
            rate >= entry["target_req_per_s"] if calibrated is None else calibrated >= target.factor
        )
    if target.p99_ms is not None:
        entry["target_p99_ms"] = target.p99_ms
        met = met and p99 < target.p99_ms
    return met


def _judge_memory(result: dict[str, Any]) -> None:
    workers = [process for process in result.get("processes", []) if process["role"] == "worker"]
    growth = [
        entry["rss_growth_mb"] for entry in result.get("http", []) if entry.get("rss_growth_mb") is not None
    ]
    peak = max((process["peak_rss_mb"] for process in workers), default=None)
    result["memory"] = {
        "worker_peak_rss_mb": peak,
        "worker_final_rss_mb": max((process["final_rss_mb"] for process in workers), default=None),
        "max_growth_across_repeats_mb": max(growth, default=None),
        "target": f"worker < {WORKER_RSS_MB:g} MB after the run, no growth across repeats",
        "target_met": None
        if peak is None
        else peak < WORKER_RSS_MB and max(growth, default=0) <= 0.05 * peak,
    }
