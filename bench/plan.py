"""How long and how hard: the full run (under 10 minutes) and the quick one (seconds per figure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Every knob of one bench run."""

    quick: bool
    connections: int = 32
    warmup_s: float = 3.0
    duration_s: float = 10.0
    repeats: int = 3
    me_under_login_connections: int = 32
    # 32 log-ins queue for seconds at cost 12: a run shorter than this would count almost none.
    login_min_s: float = 3.0
    floor_s: float = 3.0
    page_loads: int = 3
    single_client_s: float = 3.0
    sessions: int = 100
    sessions_s: float = 8.0
    think_s: float = 1.0
    workers: int = 1
    # Each app run is preceded by a calibration run of this length (issue 14).
    calibration_s: float = 5.0
    # Every REST figure runs under both: as production serves it, and the API served alone.
    servers: tuple[str, ...] = ("granian", "uvicorn")
    bcrypt_rounds: int = 12
    time_limit_s: int = 2400
    only: frozenset[str] = frozenset()

    @classmethod
    def full(
        cls,
        *,
        bcrypt_rounds: int,
        workers: int = 1,
        only: frozenset[str] = frozenset(),
        servers: tuple[str, ...] = (),
    ) -> Plan:
        """`make bench`: figures to quote, in about 15 minutes."""
        return cls(
            quick=False,
            bcrypt_rounds=bcrypt_rounds,
            workers=workers,
            only=only,
            servers=servers or cls.servers,
        )

    @classmethod
    def quick_run(
        cls,
        *,
        bcrypt_rounds: int,
        workers: int = 1,
        only: frozenset[str] = frozenset(),
        servers: tuple[str, ...] = (),
    ) -> Plan:
        """`make bench QUICK=1`: every figure for a second or so, to check the bench itself runs."""
        return cls(
            only=only,
            servers=servers or cls.servers,
            calibration_s=1.0,
            quick=True,
            warmup_s=1.0,
            duration_s=1.0,
            floor_s=0.5,
            page_loads=1,
            single_client_s=1.0,
            sessions_s=2.0,
            bcrypt_rounds=bcrypt_rounds,
            workers=workers,
            time_limit_s=600,
        )

    def selected(self, key: str) -> bool:
        """Whether a figure is measured in this run (`--only` narrows it)."""
        return not self.only or key in self.only

    def describe(self) -> str:
        """How the load is applied, in one line."""
        return (
            f"wrk, {self.connections} connections, 1 thread, {self.repeats} x {self.duration_s:g} s "
            f"after a {self.warmup_s:g} s warm-up, medians; {self.workers} worker process(es); each run "
            f"after a {self.calibration_s:g} s run of the calibration server; "
            f"served by {', '.join(self.servers)}"
        )
