"""The bcrypt floor: how many password checks per second all cores can do at the app's cost."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import bcrypt

PASSWORD = b"correct horse battery staple"


def _check_for(seconds: float, password_hash: bytes) -> int:
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        bcrypt.checkpw(PASSWORD, password_hash)
        done += 1
    return done


def _one_round(pool: ProcessPoolExecutor, cores: int, seconds: float, password_hash: bytes) -> float:
    started = time.perf_counter()
    counts = list(pool.map(_check_for, [seconds] * cores, [password_hash] * cores))
    return sum(counts) / (time.perf_counter() - started)


def measure(*, rounds: int, seconds: float, repeats: int) -> dict[str, Any]:
    """Checks per second with one process per core (the median of `repeats`), and one check's time."""
    cores = os.cpu_count() or 1
    password_hash = bcrypt.hashpw(PASSWORD, bcrypt.gensalt(rounds))
    started = time.perf_counter()
    bcrypt.checkpw(PASSWORD, password_hash)
    single_ms = (time.perf_counter() - started) * 1000
    with ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context("spawn")) as pool:
        _one_round(pool, cores, min(seconds, 1.0), password_hash)
        rates = [_one_round(pool, cores, seconds, password_hash) for _ in range(repeats)]
    return {
        "cost": rounds,
        "cores": cores,
        "one_check_ms": round(single_ms, 1),
        "hashes_per_s": round(statistics.median(rates), 2),
        "repeats": [round(rate, 2) for rate in rates],
    }
