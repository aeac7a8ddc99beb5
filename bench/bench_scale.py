"""How cost grows: the patient page and the nurse dashboard at 10,000 and 100,000 enrollments.

For each database (SQLite, then PostgreSQL in a schema of its own, dropped afterwards) and
each size, the data of bench/scale_data.py (the seed pathway's items and reminders for every
enrollment) is served by gunicorn with sync workers, one per core and at least 2 (the
README's production recipe scaled to this machine), configured by `TRACKER_*` variables.
16 client threads then ask, for a 1 s warm-up and `SECONDS`, first for patient pages at
random personal links, then for the dashboard signed in as a nurse; every request's latency
is kept and the p50 and p99 reported. The clients run on the same machine and close the
connection after each answer, as gunicorn's sync workers do.

Targets (issue 11): p99 grows at most 1.3x from 10k to 100k; at 100k, page p99 <= 100 ms and
dashboard p99 <= 300 ms on this 2-core machine.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import scale_data
from scale_data import Built, config, sqlite_database, token
from sqlalchemy import text

from tracker import db
from tracker.accounts import create_user
from tracker.clock import utcnow

ROOT = Path(__file__).resolve().parents[1]
SIZES = tuple(int(n) for n in os.environ.get("TRACKER_BENCH_SIZES", "10000,100000").split(","))
POSTGRES_URL = os.environ.get(
    "TRACKER_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLIENTS = 16
SECONDS = float(os.environ.get("TRACKER_BENCH_SECONDS", "6"))
WARM_UP = 1.0
WORKERS = max(2, os.cpu_count() or 2)
GROWTH_TARGET = 1.3
PAGE_P99_TARGET_MS = 100.0
DASHBOARD_P99_TARGET_MS = 300.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
NURSE, PASSWORD = "bench-nurse@example.org", "bench nurse password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Latencies:
    """One route under load: each answered request's latency in ms, and the non-200 count."""

    ms: list[float]
    bad: int

    def percentile(self, p: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else 0.0

    @property
    def p99(self) -> float:
        return self.percentile(99)


@dataclass(frozen=True)
class Point:
    """One database at one size: what was built and both routes' latencies."""

    database: str
    built: Built
    page: Latencies
    dashboard: Latencies


# --- the databases ----------------------------------------------------------------------------


@contextmanager
def _sqlite(folder: Path, enrollments: int) -> Iterator[tuple[str, Built]]:
    url, built = sqlite_database(folder, enrollments)
    try:
        yield url, built
    finally:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


@contextmanager
def _postgres(enrollments: int) -> Iterator[tuple[str, Built]]:
    """A schema of its own on the local server, built, then dropped whatever happens."""
    schema = f"bench_{enrollments}_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url, scale_data.build(url, enrollments=enrollments)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _add_nurse(url: str) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        create_user(
            session=session,
            email=NURSE,
            role="nurse",
            name="Bench",
            password=PASSWORD,
            now=utcnow(),
        )
    engine.dispose()


# --- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@contextmanager
def _gunicorn(url: str, instance: str) -> Iterator[int]:
    """The production server as a subprocess, configured like production: by environment."""
    port = _free_port()
    env = {
        **os.environ,
        **{f"TRACKER_{key}": value for key, value in config(url).items()},
        "TRACKER_INSTANCE_PATH": instance,
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", "tracker.wsgi:app"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {process.returncode}")
            try:
                if _get(port, "/healthz").status == 200:
                    break
            except OSError:
                pass  # not listening yet, or a worker still booting
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT} s")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()  # SIGTERM: gunicorn's graceful shutdown of master and workers
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _signed_in(port: int) -> dict[str, str]:
    """The Cookie header of a nurse signed in through the form, as a browser would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/auth/sign-in")
    form = connection.getresponse()
    html = form.read().decode()
    cookies = _cookies(form, {})
    found = CSRF.search(html)
    assert found is not None, "no CSRF token on the sign-in page"
    body = urlencode({"email": NURSE, "password": PASSWORD, "csrf_token": found.group(1)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **_header(cookies)}
    connection.request("POST", "/auth/sign-in", body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    assert answer.status == 302, f"sign-in answered {answer.status}"
    return _header(_cookies(answer, cookies))


def _cookies(response: http.client.HTTPResponse, known: dict[str, str]) -> dict[str, str]:
    found = dict(known)
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        found[name.strip()] = value.strip()
    return found


def _header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


# --- the clients ------------------------------------------------------------------------------


def _hammer(port: int, paths: list[str], headers: dict[str, str], seconds: float) -> Latencies:
    """CLIENTS threads asking for random `paths` for `seconds`; every latency kept."""
    times: list[list[float]] = [[] for _ in range(CLIENTS)]
    bad = [0] * CLIENTS
    start = threading.Barrier(CLIENTS + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        while time.perf_counter() < deadline[0]:
            began = time.perf_counter()
            connection.request("GET", rng.choice(paths), headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                times[number].append((time.perf_counter() - began) * 1000)
            else:
                bad[number] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return Latencies([t for per in times for t in per], sum(bad))


def _measure(database: str, url: str, built: Built, folder: Path) -> Point:
    _add_nurse(url)
    instance = str(folder / "instance")
    pages = [
        f"/p/{token(i)}"
        for i in random.Random(5).sample(range(built.enrollments), min(2000, built.enrollments))
    ]
    with _gunicorn(url, instance) as port:
        cookie = _signed_in(port)
        measured = []
        for paths, headers in ((pages, {}), (["/nurse/"], cookie)):
            _hammer(port, paths, headers, WARM_UP)
            measured.append(_hammer(port, paths, headers, SECONDS))
    point = Point(database, built, *measured)
    _print_point(point)
    return point


# --- the report -------------------------------------------------------------------------------


def _print_point(point: Point) -> None:
    built = point.built
    source = "copied from the cache" if built.cached else "built"
    print(
        f"{point.database:10s} {built.enrollments:>7,} enrollments: {built.items:,} items, "
        f"{built.reminders:,} reminders, {source} in {built.seconds:.1f} s",
        flush=True,
    )
    for name, route in (("page", point.page), ("dashboard", point.dashboard)):
        print(
            f"    {name:9s} p50 {route.p50:7.1f} ms  p99 {route.p99:7.1f} ms  "
            f"({len(route.ms):,} answered, {route.bad} not 200)",
            flush=True,
        )


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _print_curve(points: list[Point]) -> None:
    print(f"-- the curve ({CLIENTS} clients, gunicorn with {WORKERS} sync workers)")
    print(f"{'database':10s} {'route':9s} " + " ".join(f"{f'{s:,} p50/p99':>20s}" for s in SIZES))
    for database in dict.fromkeys(p.database for p in points):
        by_size = {p.built.enrollments: p for p in points if p.database == database}
        if set(by_size) != set(SIZES):
            continue
        small, large = by_size[SIZES[0]], by_size[SIZES[-1]]
        for name, target in (("page", PAGE_P99_TARGET_MS), ("dashboard", DASHBOARD_P99_TARGET_MS)):
            routes = [getattr(by_size[s], name) for s in SIZES]
            cells = " ".join(f"{f'{r.p50:.1f} / {r.p99:.1f} ms':>20s}" for r in routes)
            print(f"{database:10s} {name:9s} {cells}")
            before, after = getattr(small, name), getattr(large, name)
            growth = after.p99 / before.p99 if before.p99 else float("inf")
            print(
                f"{'':20s} p99 grows {growth:.2f}x (target <= {GROWTH_TARGET}: "
                f"{_verdict(growth <= GROWTH_TARGET)}); p99 at {SIZES[-1]:,} {after.p99:.1f} ms "
                f"(target <= {target:.0f}: {_verdict(after.p99 <= target)}); "
                f"p50 grows {after.p50 / before.p50 if before.p50 else 0:.2f}x"
            )


def run(sizes: tuple[int, ...] = SIZES) -> list[Point]:
    """Every database at every size, measured one after the other; prints the curve."""
    load = os.getloadavg()[0]
    print(f"load average before: {load:.1f} on {os.cpu_count()} cores", flush=True)
    points = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        os.environ.setdefault("TRACKER_INSTANCE_PATH", str(folder / "instance"))
        for size in sizes:
            with _sqlite(folder, size) as (url, built):
                points.append(_measure("sqlite", url, built, folder))
        for size in sizes:
            with _postgres(size) as (url, built):
                points.append(_measure("postgresql", url, built, folder))
    _print_curve(points)
    return points


if __name__ == "__main__":
    run()
