"""POST /api/v1/echo, kept from the original template."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

router = APIRouter(prefix="/echo", tags=["echo"])


class Message(BaseModel):
    message: str = Field(max_length=10_000)


@router.post("")
async def send_echo_message(body: Message) -> Message:
    """Return the message that was sent."""
    return body
