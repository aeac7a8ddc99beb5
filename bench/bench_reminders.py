"""Reminder dispatch: throughput against a naive design and the raw limit, PostgreSQL with four
dispatchers, lateness under the real scheduler, and memory as pending reminders grow.

Time: throughput runs inject one `now` (everything due); the lateness run uses a scaled clock
(LATENESS_SCALE injected seconds per wall second) that drives the real APScheduler wake-ups, so
10 injected minutes pass in 20 wall seconds at 30x the density. Delay due -> hand-off is given
in wall seconds (the real latency, the target figure) and in injected seconds (x the scale).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
POSTGRES_URL = os.environ.setdefault(  # before tests.conftest reads it
    "TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

from flask import Flask  # noqa: E402
from sqlalchemy import Engine, bindparam, func, select, update  # noqa: E402

from tests.reminder_helpers import seed_reminders  # noqa: E402
from tracker import create_app, db  # noqa: E402
from tracker.models import Reminder  # noqa: E402
from tracker.reminders.channels import build_channels  # noqa: E402
from tracker.reminders.dispatch import Dispatcher  # noqa: E402
from tracker.reminders.dispatch_settings import Settings  # noqa: E402

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
DUE = 100_000
NAIVE = 2_000
BATCH = 500
PG_DUE = 20_000
PG_DISPATCHERS = 4
LATENESS_COUNT, LATENESS_SPAN, LATENESS_SCALE = 1_000, timedelta(minutes=10), 30.0
MEMORY_SIZES = (10_000, 1_000_000)
TARGETS = {"sqlite_per_s": 2_000.0, "vs_naive": 10.0, "p99_s": 1.0, "rss_growth": 0.20}


def _sqlite(directory: str, name: str) -> tuple[str, Engine]:
    url = f"sqlite:///{directory}/{name}.sqlite3"
    engine = db.make_engine(url)
    db.upgrade(engine)
    return url, engine


def _channels() -> dict[str, Any]:
    return dict(build_channels(smtp_url="", webhook_url="", sender="b@example.org"))


def dispatch_rate(engine: Engine) -> float:
    """Our dispatcher, null channel, everything due at once."""
    worker = Dispatcher(engine, channels=_channels(), settings=Settings(batch=BATCH), fault="")
    started = time.perf_counter()
    handled = worker.run_until_idle(NOW)
    elapsed = time.perf_counter() - started
    assert handled == DUE, handled
    return DUE / elapsed


def raw_rate(engine: Engine) -> float:
    """The floor: a bare loop marking the same rows sent, in the same batches, nothing else."""
    with engine.begin() as connection:
        connection.execute(update(Reminder).values(status="pending", sent_at=None))
        ids = list(connection.execute(select(Reminder.id).order_by(Reminder.id)).scalars())
    mark = (
        update(Reminder)
        .where(Reminder.id == bindparam("b_id"))
        .values(status="sent", sent_at=NOW, provider_id=bindparam("b_p"), attempts=1)
    )
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        with engine.begin() as connection:
            chunk = ids[start : start + BATCH]
            connection.execute(mark, [{"b_id": i, "b_p": f"null:{i}"} for i in chunk])
    return len(ids) / (time.perf_counter() - started)


_NAIVE_ENGINE: Engine | None = None


def naive_send(reminder_id: int) -> None:
    """The naive design's job: one APScheduler job per reminder marks it sent."""
    assert _NAIVE_ENGINE is not None
    with _NAIVE_ENGINE.begin() as connection:
        connection.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id)
            .values(status="sent", sent_at=datetime.now(UTC), provider_id=f"null:{reminder_id}")
        )


def naive_rate(url: str, engine: Engine) -> float:
    """One date job per reminder in an SQLAlchemyJobStore on the same SQLite file."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    global _NAIVE_ENGINE
    _NAIVE_ENGINE = engine
    seeded = seed_reminders(engine, NAIVE, now=NOW, channel="null")
    scheduler = BackgroundScheduler(
        timezone=UTC,
        jobstores={"default": SQLAlchemyJobStore(url=url)},
        job_defaults={"misfire_grace_time": None, "coalesce": False},
    )
    scheduler.start(paused=True)
    at = datetime.now(UTC)
    for reminder_id in seeded.reminder_ids:
        scheduler.add_job(naive_send, "date", run_date=at, args=[reminder_id])
    started = time.perf_counter()
    scheduler.resume()
    query = select(func.count()).where(Reminder.status == "sent")
    while True:
        with engine.connect() as connection:
            if connection.execute(query).scalar_one() >= NAIVE:
                break
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    scheduler.shutdown()
    return NAIVE / elapsed


def _pg_worker(url: str, start: Any, results: Any) -> None:
    engine = db.make_engine(url)
    worker = Dispatcher(engine, channels=_channels(), settings=Settings(batch=BATCH), fault="")
    start.wait()
    results.put(worker.run_until_idle(NOW))
    engine.dispose()


def postgres_rate() -> float | None:
    """Four dispatcher processes on one PostgreSQL database: their combined rate."""
    from tests.conftest import postgres_schema

    try:
        schemas = postgres_schema(migrate=True)
        url = next(schemas)
    except Exception as error:  # no server: report, do not fail the other figures
        print(f"  postgres: skipped ({type(error).__name__})")
        return None
    try:
        engine = db.make_engine(url)
        seed_reminders(engine, PG_DUE, now=NOW, channel="null")
        engine.dispose()
        context = multiprocessing.get_context("fork")
        start, results = context.Event(), context.Queue()
        workers = [
            context.Process(target=_pg_worker, args=(url, start, results))
            for _ in range(PG_DISPATCHERS)
        ]
        for worker in workers:
            worker.start()
        time.sleep(1.0)  # let every process connect before the clock starts
        started = time.perf_counter()
        start.set()
        handled = sum(results.get(timeout=300) for _ in workers)
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.join()
        assert handled == PG_DUE, handled
        return PG_DUE / elapsed
    finally:
        for _ in schemas:
            pass


def lateness(directory: str) -> tuple[float, float]:
    """p50 and p99 delay from due to hand-off, wall seconds, under the real scheduler."""
    from tracker.reminders.scheduler import ReminderScheduler

    url, engine = _sqlite(directory, "lateness")
    wall0 = datetime.now(UTC) + timedelta(seconds=1)
    start = NOW + timedelta(seconds=1)
    step = LATENESS_SPAN / LATENESS_COUNT
    seed_reminders(
        engine, LATENESS_COUNT, now=NOW, channel="null", send_at=lambda i: start + i * step
    )

    def clock() -> datetime:
        return NOW + (datetime.now(UTC) - wall0) * LATENESS_SCALE

    def to_wall(moment: datetime) -> datetime:
        return wall0 + (moment - NOW) / LATENESS_SCALE

    app = _app(url, directory)
    scheduler = ReminderScheduler(app, clock=clock, to_wall=to_wall, channels=_channels())
    delays: list[float] = []
    scheduler.dispatcher.on_handoff = lambda due: delays.append(
        (clock() - due.send_at).total_seconds()
    )
    scheduler.start()
    deadline = time.monotonic() + LATENESS_SPAN.total_seconds() / LATENESS_SCALE + 30
    while len(delays) < LATENESS_COUNT and time.monotonic() < deadline:
        time.sleep(0.05)
    scheduler.shutdown()
    assert len(delays) == LATENESS_COUNT, len(delays)
    delays.sort()
    wall = [delay / LATENESS_SCALE for delay in delays]
    return wall[len(wall) // 2], wall[int(len(wall) * 0.99) - 1]


def _app(url: str, directory: str) -> Flask:
    os.environ["TRACKER_INSTANCE_PATH"] = os.path.join(directory, "instance")
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CHECK_SCHEMA": False})


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) forking parent.
PEAK = (
    "import atexit, re, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    print('PEAK_KB', re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "from tracker.cli import main\n"
    "main(['scheduler', '--once', '--now', sys.argv[1]])\n"
)


def peak_rss(directory: str, pending: int) -> float:
    """Peak RSS (MB) of `tracker scheduler --once` with `pending` future and 1,000 due rows."""
    url, engine = _sqlite(directory, f"memory{pending}")
    future = NOW + timedelta(days=3)
    seed_reminders(
        engine,
        pending + 1_000,
        now=NOW,
        channel="null",
        items=1_000,
        send_at=lambda i: NOW if i < 1_000 else future,
    )
    engine.dispose()
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": "bench"}
    env["TRACKER_INSTANCE_PATH"] = os.path.join(directory, "instance")
    done = subprocess.run(
        [sys.executable, "-c", PEAK, NOW.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "reminders handled: 1000" in done.stdout, done.stdout + done.stderr
    match = re.search(r"PEAK_KB (\d+)", done.stderr)
    assert match, done.stderr
    return int(match.group(1)) / 1024


def run() -> dict[str, float]:
    """Every figure in one run, printed with its ratio and target."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as directory:
        url, engine = _sqlite(directory, "dispatch")
        seed_reminders(engine, DUE, now=NOW, channel="null")
        figures["sqlite_per_s"] = dispatch_rate(engine)
        figures["raw_per_s"] = raw_rate(engine)
        engine.dispose()
        naive_url, naive_engine = _sqlite(directory, "naive")
        figures["naive_per_s"] = naive_rate(naive_url, naive_engine)
        naive_engine.dispose()
        figures["vs_naive"] = figures["sqlite_per_s"] / figures["naive_per_s"]
        figures["vs_raw"] = figures["sqlite_per_s"] / figures["raw_per_s"]
        pg = postgres_rate()
        if pg is not None:
            figures["postgres_4_per_s"] = pg
        figures["p50_s"], figures["p99_s"] = lateness(directory)
        small, large = (peak_rss(directory, n) for n in MEMORY_SIZES)
        figures["rss_small_mb"], figures["rss_large_mb"] = small, large
        figures["rss_growth"] = large / small - 1
    _print(figures)
    return figures


def _print(f: dict[str, float]) -> None:
    print(
        f"  sqlite, null channel, {DUE:,} due: {f['sqlite_per_s']:,.0f}/s "
        f"(target >= {TARGETS['sqlite_per_s']:,.0f}/s)"
    )
    print(
        f"  naive (one APScheduler job per reminder, SQLAlchemyJobStore, {NAIVE:,}): "
        f"{f['naive_per_s']:,.0f}/s; ours is {f['vs_naive']:.1f}x (target >= 10x)"
    )
    print(
        f"  raw limit (bare UPDATE loop, same rows and batches): {f['raw_per_s']:,.0f}/s; "
        f"ours is {f['vs_raw']:.2f} of it"
    )
    if "postgres_4_per_s" in f:
        print(
            f"  postgres, {PG_DISPATCHERS} dispatchers, {PG_DUE:,} due: "
            f"{f['postgres_4_per_s']:,.0f}/s combined"
        )
    print(
        f"  lateness, {LATENESS_COUNT:,} over {LATENESS_SPAN}, clock x{LATENESS_SCALE:.0f}: "
        f"p50 {f['p50_s']:.3f}s, p99 {f['p99_s']:.3f}s wall, p99 "
        f"{f['p99_s'] * LATENESS_SCALE:.2f}s in injected time (target p99 <= 1 s)"
    )
    print(f"  scheduler peak RSS: {f['rss_small_mb']:.1f} MB at {MEMORY_SIZES[0]:,} pending, "
          f"{f['rss_large_mb']:.1f} MB at {MEMORY_SIZES[1]:,}: growth {f['rss_growth']:.1%} "
          f"(target <= 20%)")  # fmt: skip


if __name__ == "__main__":
    run()
