"""The calibration server of issue 14: a bare FastAPI route returning `True`, served by one
`uvicorn[standard]` worker (httptools, uvloop). Every REST figure is also given as a fraction of
its req/s, measured alternately in the same run, so figures from runs on a busier or quieter
machine compare.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root() -> bool:
    """The whole route."""
    return True
