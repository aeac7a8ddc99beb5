"""A burst of email reminders (issue 12): 1,000 due at once through an SMTP server on loopback
that takes 50 ms per message, while a patient ticks unrelated items.

The dispatcher runs as it does in production (`tracker scheduler --once`, its own process),
the ticks go through the real app (gunicorn, 2 workers) and the SMTP server runs in a child
process, so the figures are not a measurement of this process's own threads. The delivery
rate counts from the first message the server accepted to the last; the sequential limit is
one message per 50 ms (20/s). Ticks are counted while the burst is being delivered.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
POSTGRES_URL = os.environ.setdefault(  # before tests.conftest reads it
    "TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from tests.reminder_helpers import (  # noqa: E402
    BIN,
    Mailbox,
    SmtpServer,
    environment,
    free_port,
    gunicorn,
    reminder_rows,
    seed_reminders,
)
from tracker import db  # noqa: E402
from tracker.models import Enrollment  # noqa: E402
from tracker.patient.links import form_token, issue_link  # noqa: E402

BURST = 1_000
SMTP_SECONDS = 0.05
SEQUENTIAL_PER_S = 1 / SMTP_SECONDS
TICK_ITEMS = 3_000
THINK_SECONDS = 0.02  # between two ticks of the one patient
TARGETS = {"ratio": 10.0, "tick_p99_ms": 100.0}


def _smtp_child(port: int, pipe: Any) -> None:
    """An aiosmtpd server taking SMTP_SECONDS per message; on request, the accept times."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    mailbox.delay = SMTP_SECONDS
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    pipe.send("ready")
    pipe.recv()
    controller.stop()
    pipe.send((list(mailbox.received), mailbox.keys()))


@contextmanager
def _smtp() -> Iterator[tuple[SmtpServer, Any]]:
    port = free_port()
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_smtp_child, args=(port, theirs))
    child.start()
    assert ours.recv() == "ready"
    try:
        yield SmtpServer(port), ours
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


class Ticker(threading.Thread):
    """One patient ticking items one after another through the app; latencies with times."""

    def __init__(self, base: str, token: str, form: str, items: list[int]) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.form, self.items = base, token, form, items
        self.stop = threading.Event()
        self.samples: list[tuple[float, float]] = []  # (time.time() at the answer, seconds)
        self.errors = 0

    def run(self) -> None:
        body = urllib.parse.urlencode({"csrf_token": self.form, "action": "done"}).encode()
        for item_id in self.items:
            if self.stop.is_set():
                return
            request = urllib.request.Request(
                f"{self.base}/p/{self.token}/items/{item_id}",
                data=body,
                headers={"Accept": "application/json"},
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            self.samples.append((time.time(), time.perf_counter() - started))
            self.errors += 0 if ok else 1
            self.stop.wait(THINK_SECONDS)


def _ticking_patient(engine: Engine) -> tuple[str, int, list[int]]:
    """A patient whose items have no reminder due (their ticks are unrelated to the burst)."""
    later = datetime.now(UTC) + timedelta(days=3)
    seeded = seed_reminders(engine, TICK_ITEMS, now=later)
    with Session(engine, expire_on_commit=False) as session:
        enrollment = session.get(Enrollment, seeded.enrollment_id)
        assert enrollment is not None
        link, token = issue_link(
            session=session, enrollment=enrollment, now=datetime.now(UTC), actor="bench"
        )
        session.commit()
        assert link.id is not None
    return token, link.id, seeded.item_ids


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def measure(url: str, directory: str) -> dict[str, float]:
    """One database: the burst's delivery rate and the ticks meanwhile."""
    engine = db.make_engine(url)
    seed_reminders(engine, BURST, now=datetime.now(UTC) - timedelta(minutes=1), channel="email")
    token, link_id, items = _ticking_patient(engine)
    engine.dispose()
    with _smtp() as (smtp, pipe):
        env = environment(url, Path(directory), smtp)
        with gunicorn(env) as base:
            ticker = Ticker(base, token, form_token("test-secret", link_id, "items"), items)
            ticker.start()
            time.sleep(1.0)  # the ticks are going when the burst starts
            dispatcher = subprocess.run(
                [str(BIN / "tracker"), "scheduler", "--once"],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            ticker.stop.set()
            ticker.join()
        pipe.send("stop")
        received, keys = pipe.recv()
    assert dispatcher.returncode == 0, dispatcher.stderr
    engine = db.make_engine(url)
    windows = [  # the cancel race's remaining window: last look at the item -> provider's yes
        (row.sent_at - row.checked_at).total_seconds()
        for row in reminder_rows(engine)
        if row.status == "sent" and row.checked_at is not None and row.sent_at is not None
    ]
    engine.dispose()
    assert len(set(keys)) == BURST, (len(set(keys)), len(keys))
    first, last = min(received), max(received)
    rate = (len(received) - 1) / (last - first)
    during = [seconds for at, seconds in ticker.samples if first <= at <= last + 0.1]
    return {
        "rate": rate,
        "ratio": rate / SEQUENTIAL_PER_S,
        "seconds": last - first,
        "ticks": len(during),
        "p50_ms": _percentile(during, 0.5) * 1000,
        "p99_ms": _percentile(during, 0.99) * 1000,
        "errors": ticker.errors,
        "window_p50_ms": _percentile(windows, 0.5) * 1000,
        "window_p99_ms": _percentile(windows, 0.99) * 1000,
    }


def run() -> dict[str, dict[str, float]]:
    """SQLite, then PostgreSQL (when reachable), each ending with its one-line summary."""
    from tests.conftest import postgres_schema

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/burst.sqlite3"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        results["sqlite"] = measure(url, directory)
        _print("sqlite", results["sqlite"])
        try:
            schemas = postgres_schema(migrate=True)
            pg_url = next(schemas)
        except Exception as error:  # no server: report, do not fail the SQLite figures
            print(f"  postgres: skipped ({type(error).__name__})")
            return results
        try:
            results["postgres"] = measure(pg_url, directory)
        finally:
            for _ in schemas:
                pass
        _print("postgres", results["postgres"])
    return results


def _print(name: str, f: dict[str, float]) -> None:
    print(
        f"  {name}: {BURST:,} emails due at once, SMTP {SMTP_SECONDS * 1000:.0f} ms each: "
        f"delivered in {f['seconds']:.1f} s = {f['rate']:.0f}/s, {f['ratio']:.1f}x the "
        f"sequential {SEQUENTIAL_PER_S:.0f}/s (target >= {TARGETS['ratio']:.0f}x)"
    )
    print(
        f"  {name}: {f['ticks']:.0f} unrelated ticks meanwhile: p50 {f['p50_ms']:.0f} ms, "
        f"p99 {f['p99_ms']:.0f} ms (target <= {TARGETS['tick_p99_ms']:.0f} ms), "
        f"errors {f['errors']:.0f} (target 0)"
    )
    print(
        f"  {name}: a tick can no longer stop a message for p50 {f['window_p50_ms']:.0f} ms, "
        f"p99 {f['window_p99_ms']:.0f} ms before the server accepts it (sent_at - checked_at)"
    )
    print(
        f"burst {name}: {f['rate']:.0f}/s = {f['ratio']:.1f}x sequential; "
        f"tick p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms; errors {f['errors']:.0f}",
        flush=True,
    )


if __name__ == "__main__":
    run()
