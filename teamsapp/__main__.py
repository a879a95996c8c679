"""Management commands: `python -m teamsapp create-superuser --email ... --username ... --password-stdin`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from teamsapp.core.db import dispose_engine, session_scope
from teamsapp.core.errors import DomainError
from teamsapp.users import service as user_service
from teamsapp.users.schemas import UserCreate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m teamsapp", description="teamsapp management commands")
    commands = parser.add_subparsers(dest="command", required=True)
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


def main(argv: list[str] | None = None) -> int:
    """Run one management command and return its exit status."""
    args = _parser().parse_args(argv)
    if args.command == "create-superuser":
        return create_superuser(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
