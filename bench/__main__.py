"""`python -m bench [--quick]`: run every figure and write bench/results/<date>.{json,md,png}."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from bench import report
from bench.infra import ROOT, Missing
from bench.plan import Plan
from bench.run import run
from bench.server import ServerFailed

RESULTS = ROOT / "bench" / "results"


def _app_bcrypt_cost() -> int:
    from teamsapp.core.config import Settings

    default = Settings.model_fields["bcrypt_rounds"].default
    assert isinstance(default, int)
    return default


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, write the result; 0 when every figure ran or was skipped with a reason."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds per figure (checks the bench runs)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the result (bench/results)")
    parser.add_argument(
        "--workers", type=int, default=1, help="granian worker processes (the targets are for 1)"
    )
    parser.add_argument("--bcrypt-rounds", type=int, default=None, help="bcrypt cost (default: the app's)")
    parser.add_argument(
        "--profile", action="append", default=[], metavar="KEY",
        help="py-spy the worker during a figure: user_me, user_me_token, teams, team, create_team, "
        "create_invitation, login",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="append", default=[], metavar="KEY",
        help="measure only these figures: ceiling, user_me, user_me_token, teams, team, create_team, "
        "create_invitation, login, user_me_under_login, ui",
    )  # fmt: skip
    parser.add_argument(
        "--server", action="append", default=[], choices=["granian", "uvicorn"],
        help="measure under this server only (default both: granian as production serves it, uvicorn alone)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    rounds = options.bcrypt_rounds or _app_bcrypt_cost()
    make = Plan.quick_run if options.quick else Plan.full
    plan = make(
        bcrypt_rounds=rounds,
        workers=options.workers,
        only=frozenset(options.only),
        servers=tuple(options.server),
    )
    # A SIGTERM (a timeout, CI) unwinds like Ctrl-C, so the app, the database and Redis are cleaned up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        result = asyncio.run(run(plan, profile_keys=frozenset(options.profile)))
    except (Missing, ServerFailed) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    stem = result["date"] + ("-quick" if plan.quick else "")
    paths = report.write(result, options.out, stem=stem)
    print(paths["md"].read_text())
    for path in paths.values():
        if path.exists():
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
