"""The result as JSON, a Markdown table and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE_NOTE = (
    "Reference: the FastAPI full-stack template (sync SQLModel, one uvicorn worker, 32 connections, "
    "15 s) on this kind of machine, as quoted in issue 7."
)


def write(result: dict[str, Any], out_dir: Path, *, stem: str) -> dict[str, Path]:
    """Write `<stem>.json`, `<stem>.md` and `<stem>.png` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / f"{stem}.{kind}" for kind in ("json", "md", "png")}
    chart_written = chart(result, paths["png"])
    result["files"] = {kind: path.name for kind, path in paths.items() if kind != "png" or chart_written}
    paths["json"].write_text(json.dumps(result, indent=2, default=str) + "\n")
    paths["md"].write_text(markdown(result, chart_name=paths["png"].name if chart_written else None))
    return paths


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def markdown(result: dict[str, Any], *, chart_name: str | None) -> str:
    """The human-readable result."""
    plan = result["plan"]
    machine = result["machine"]
    mode = "quick (not figures to quote)" if result["quick"] else "full"
    lines = [
        f"# Benchmark {result['date']} ({mode})",
        "",
        f"{machine['cpus']} cores, {machine['memory_gb']} GB, load average before "
        f"{machine['load_average_before']}; Python {machine['python']}, "
        + ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
        + f"; PostgreSQL {machine.get('postgresql', '?')}, Redis {machine.get('redis', '?')}.",
        "The production app (`reflex run --env prod --single-port`, granian) and the API served alone "
        "(`uvicorn teamsapp.api:api`, one process) on loopback; "
        f"{plan['description']}. bcrypt cost {plan['bcrypt_rounds']}. "
        f"Whole run {result.get('duration_s', '?')} s.",
        "",
    ]
    if chart_name:
        lines += [f"![req/s and p99 per route]({chart_name})", ""]
    lines += _http_table(result)
    lines += _floor_lines(result)
    lines += _ui_table(result.get("ui", {}))
    lines += _memory_table(result)
    if result.get("warnings"):
        lines += ["## Warnings", ""] + [f"- {warning}" for warning in result["warnings"]] + [""]
    if result["skipped"]:
        lines += ["## Skipped", ""] + [f"- {reason}" for reason in result["skipped"]] + [""]
    lines += _profiles(result)
    lines += ["## Data", ""] + [f"- {line}" for line in result.get("seed", [])] + ["", REFERENCE_NOTE, ""]
    return "\n".join(lines)


def _http_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "## HTTP routes",
        "",
        "| figure | server | conns | req/s | p50 ms | p99 ms | errors | vs ceiling | x calibration "
        "| vs reference (calibrated) | vs reference (raw) | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for entry in result.get("http", []):
        server = entry.get("server", "granian")
        if "skipped" in entry:
            lines.append(
                f"| {entry['title']} | {server} | | skipped: {entry['skipped']} | | | | | | | | "
                f"{entry['target']} | |"
            )
            continue
        calibrated = "-"
        if entry.get("vs_calibration") is not None:
            calibrated = f"{entry['vs_calibration']:.4f}x"
        against = _ratio(entry.get("vs_reference_calibrated"))
        if entry.get("reference_vs_calibration"):
            against += f" of {entry['reference_vs_calibration']:g}x"
        median = entry["median"]
        reference = entry.get("reference")
        versus = _ratio(entry.get("vs_reference"))
        if reference:
            versus += f" of {_number(reference['req_per_s'])}"
        errors = str(entry["errors"])
        logged = sum(entry.get("server_errors", {}).values())
        if logged:
            errors += f" (+{logged} in the server log)"
        lines.append(
            f"| {entry['title']} | {server} | {entry['connections']} | {_number(median['req_per_s'])} | "
            f"{_number(median['p50_ms'])} | {_number(median['p99_ms'])} | {errors} | "
            f"{_ratio(entry.get('vs_ceiling'))} | {calibrated} | {against} | {versus} | "
            f"{entry['target'] or '-'} | "
            f"{_met(entry.get('target_met'))} |"
        )
    logged = [
        f"- {entry['title']}: {count} x {summary}"
        for entry in result.get("http", [])
        for summary, count in entry.get("server_errors", {}).items()
    ]
    if logged:
        lines += ["", "Errors in the server log (test-artifacts/bench/server*.log):", "", *logged]
    rates = [rate for entry in result.get("http", []) for rate in entry.get("calibration_req_per_s", [])]
    if rates:
        lines += [
            "",
            f"Calibration server (a bare FastAPI route returning `True`, one `uvicorn[standard]` worker), "
            f"measured before each calibrated run: {min(rates):,.0f}-{max(rates):,.0f} req/s over the run. "
            "x calibration is the median of the paired ratios; the reference is the FastAPI full-stack "
            "template as a fraction of the same server (issue 14), and targets are judged through it.",
        ]
    return [*lines, ""]


def _floor_lines(result: dict[str, Any]) -> list[str]:
    floor = result.get("bcrypt_floor")
    if not floor:
        return []
    login = next(
        (entry for entry in result.get("http", []) if entry["key"] == "login" and "median" in entry), None
    )
    lines = [
        f"bcrypt floor: {floor['hashes_per_s']:.1f} checks/s at cost {floor['cost']} "
        f"on {floor['cores']} cores (one check {floor['one_check_ms']} ms).",
    ]
    if login:
        lines[0] += (
            f" Log-in: {login['median']['req_per_s']:.1f} req/s = "
            f"{login['vs_bcrypt_floor']:.0%} of the floor (target 90%)."
        )
    under = next((entry for entry in result.get("http", []) if entry["key"] == "user_me_under_login"), None)
    if under and "login_during" in under:
        during, median = under["login_during"], under["median"]
        lines.append(
            f"While {during['connections']} connections log in ({during['median']['req_per_s']:.1f} req/s), "
            f"GET /api/v1/user/me on {under['connections']} connections: {median['req_per_s']:.0f} req/s, "
            f"p99 {median['p99_ms']:.1f} ms."
        )
    return [*lines, ""]


def _ui_table(measured: dict[str, Any]) -> list[str]:
    if not measured:
        return []
    lines = [
        "## UI",
        "",
        "| figure | p50 / value | p99 | events/s | errors | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    first = measured.get("first_load", {})
    if "skipped" in first:
        lines.append(f"| first load of /login | skipped: {first['skipped']} | | | | | |")
    elif first:
        timings = first["median_ms"]
        lines.append(
            f"| first load of {first['path']}: navigation start to interactive "
            f"(median of {first['repeats']}) | "
            f"{_number(first['interactive_ms'])} ms | | | | {first['target']} | {_met(first['target_met'])} |"
        )
        lines.append(
            f"| ... first contentful paint, DOM loaded, load, first state update | "
            f"{_number(timings['first_contentful_paint'])}, {_number(timings['dom_content_loaded'])}, "
            f"{_number(timings['load'])}, {_number(timings['first_state_update'])} ms | | | | | |"
        )
    titles = {
        "one_client": "event round trip, 1 client, back to back",
        "sessions": "event round trip, {sessions} sessions, ~{think_s:g} s between events",
        "sessions_flat_out": "event round trip, {sessions} sessions, back to back",
    }
    for key, title in titles.items():
        trips = measured.get(key)
        if not trips:
            continue
        lines.append(
            f"| {title.format(**trips)} | {_number(trips['p50_ms'], 2)} ms | "
            f"{_number(trips['p99_ms'], 2)} ms | "
            f"{_number(trips['events_per_s'])} | {trips['errors']} | {trips.get('target', '')} | "
            f"{_met(trips.get('target_met'))} |"
        )
    event = measured.get("event", {})
    lines += [
        "",
        f"Event: `{event.get('name')}` from `{event.get('path')}` ({event.get('why')}), over Socket.IO "
        "(websocket), each session with its own client token and a hydrated state, as a browser tab.",
        "",
    ]
    return lines


def _memory_table(result: dict[str, Any]) -> list[str]:
    memory = result.get("memory", {})
    lines = ["## Memory", "", "| process | pid | peak RSS MB | RSS at the end MB |", "|---|---:|---:|---:|"]
    lines += [
        f"| {process.get('server', 'granian')} {process['role']} | {process['pid']} | "
        f"{process['peak_rss_mb']} | {process['final_rss_mb']} |"
        for process in result.get("processes", [])
    ]
    lines += [
        "",
        f"Largest worker growth between the first and last repeat of a figure: "
        f"{_number(memory.get('max_growth_across_repeats_mb'))} MB. Target: {memory.get('target', '-')}: "
        f"{_met(memory.get('target_met'))}.",
        "",
    ]
    return lines


def _profiles(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for entry in result.get("http", []):
        profile = entry.get("profile")
        if not profile:
            continue
        lines += [f"## Profile: {entry['title']}", ""]
        if "error" in profile:
            lines += [f"py-spy: {profile['error']}", ""]
            continue
        lines += [f"{profile['samples']} samples of the worker; own time:", ""]
        lines += [f"- {item['share']:.1%} {item['frame']}" for item in profile["own_time"][:10]]
        lines += ["", "time inside app code:", ""]
        lines += [f"- {item['share']:.1%} {item['frame']}" for item in profile["inside_app_code"][:10]]
        lines.append("")
    return lines


def chart(result: dict[str, Any], path: Path) -> bool:
    """Req/s and p99 per route beside the ceiling and the targets; False when there is nothing to draw."""
    entries = [entry for entry in result.get("http", []) if "median" in entry]
    if not entries:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colours = [_colour(entry) for entry in entries]
    positions = list(range(len(entries)))
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 0.6 * len(entries) + 2.2), sharey=True)
    rates = [max(entry["median"]["req_per_s"], 0.1) for entry in entries]
    left.barh(positions, rates, color=colours)
    ceiling = next((entry["median"]["req_per_s"] for entry in entries if entry["key"] == "ceiling"), None)
    if ceiling:
        left.axvline(ceiling, color=GREY, linestyle="--")
    _marks(left, entries, "reference", lambda entry: (entry.get("reference") or {}).get("req_per_s"))
    _marks(left, entries, "target", lambda entry: entry.get("target_req_per_s"))
    _labels(left, positions, rates, "{:,.0f}")
    left.set_xlabel("requests per second (log); dashed: the ceiling")
    left.set_yticks(positions, [entry["title"] for entry in entries])
    left.invert_yaxis()
    p99s = [max(entry["median"]["p99_ms"], 0.1) for entry in entries]
    right.barh(positions, p99s, color=colours)
    _marks(right, entries, "target", lambda entry: entry.get("target_p99_ms"))
    _labels(right, positions, p99s, "{:,.0f} ms")
    right.set_xlabel("p99 latency, ms (log)")
    handles = [
        Patch(color=GREY, label="ceiling (empty route)"),
        Patch(color=BLUE, label="target met"),
        Patch(color=RED, label="target missed"),
        Line2D([], [], marker="|", linestyle="", markersize=14, color="black", label="reference (issue 7)"),
        Line2D([], [], marker="|", linestyle="", markersize=14, mew=3, color=GREEN, label="target"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=5, fontsize=9, frameon=False)
    mode = "quick" if result["quick"] else "full"
    figure.suptitle(f"teamsapp bench {result['date']} ({mode}): {result['plan']['description']}", fontsize=10)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


GREY, BLUE, RED, GREEN = "#8e8e8e", "#3e63dd", "#e5484d", "#30a46c"


def _colour(entry: dict[str, Any]) -> str:
    if entry["key"] == "ceiling":
        return GREY
    return RED if entry.get("target_met") is False else BLUE


def _marks(axes: Any, entries: list[dict[str, Any]], kind: str, value: Any) -> None:
    for position, entry in enumerate(entries):
        mark = value(entry)
        if mark:
            style = {"color": "black"} if kind == "reference" else {"color": GREEN, "mew": 3}
            axes.plot(mark, position, marker="|", markersize=20, linestyle="", **style)


def _labels(axes: Any, positions: list[int], values: list[float], template: str) -> None:
    marks = [value for line in axes.get_lines() for value in line.get_xdata()]
    axes.set_xscale("log")
    # From below the smallest bar to well past the largest, leaving room for the labels.
    axes.set_xlim(min([*values, *marks]) / 2, max([*values, *marks]) * 4)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(
            template.format(value), (value, position), xytext=(3, 0), textcoords="offset points",
            va="center", fontsize=8,
        )  # fmt: skip
