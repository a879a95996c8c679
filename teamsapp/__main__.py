"""Management commands: `teamsapp migrate`, `teamsapp create-superuser ...`, `teamsapp --version`.

Installed by `pip install .` as the `teamsapp` command; `python -m teamsapp` is the same.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from pydantic import ValidationError

from teamsapp.core.config import ROOT
from teamsapp.core.db import dispose_engine, session_scope
from teamsapp.core.errors import DomainError
from teamsapp.core.version import app_version
from teamsapp.users import service as user_service
from teamsapp.users.schemas import UserCreate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teamsapp", description="teamsapp management commands")
    parser.add_argument("--version", action="version", version=f"teamsapp {app_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply every migration (alembic upgrade head)")
    migrate.add_argument(
        "--config", type=Path, default=None, help="alembic.ini (default: the project directory's)"
    )
    create = commands.add_parser("create-superuser", help="create a verified superuser account")
    create.add_argument("--email", required=True)
    create.add_argument("--username", required=True)
    create.add_argument("--full-name", default=None, help="defaults to the username")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of stdin",
    )
    return parser


async def _create_superuser(data: UserCreate) -> str:
    try:
        async with session_scope() as session:
            user = await user_service.create_superuser(session, data=data)
            return str(user.id)
    finally:
        await dispose_engine()


def _fail(message: str) -> int:
    print(f"teamsapp: {message}", file=sys.stderr)
    return 1


def create_superuser(args: argparse.Namespace) -> int:
    """Create the account, or explain in one line why not."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        data = UserCreate(
            email=args.email,
            username=args.username,
            full_name=args.full_name or args.username,
            password=password,
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _fail(f"cannot create the superuser: {problems}")
    try:
        user_id = asyncio.run(_create_superuser(data))
    except DomainError as error:
        return _fail(f"cannot create the superuser: {error.field}: {error.detail}")
    print(f"superuser {data.username} <{data.email}> created (id {user_id})")
    return 0


def _alembic_ini(given: Path | None) -> Path | None:
    # The migrations live beside the app (`alembic/`), not in the package: the command runs in the
    # project directory, as `reflex run` does, or in the source tree it was imported from.
    candidates = [given] if given else [Path.cwd() / "alembic.ini", ROOT / "alembic.ini"]
    return next((path for path in candidates if path.is_file()), None)


def migrate(args: argparse.Namespace) -> int:
    """Bring the database to the newest revision."""
    ini = _alembic_ini(args.config)
    if ini is None:
        return _fail("cannot migrate: no alembic.ini here; run `teamsapp migrate` in the project directory")
    command.upgrade(Config(str(ini)), "head")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one management command and return its exit status."""
    args = _parser().parse_args(argv)
    if args.command == "create-superuser":
        return create_superuser(args)
    if args.command == "migrate":
        return migrate(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
