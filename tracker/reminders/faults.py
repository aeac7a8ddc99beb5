"""Who holds a lease, and the crash tests' fault-injection points (inert unless asked for)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid

FAULT_ENV = "TRACKER_FAULT"  # test builds: "before_send" or "after_send", optionally ":n"


class Fault:
    """Kills this process with SIGKILL at a named point (crash tests); inert when unset."""

    def __init__(self, spec: str | None) -> None:
        point, _, nth = (spec or "").partition(":")
        self.point, self.nth, self.seen = point, int(nth or 1), 0
        self.guard = threading.Lock()

    def at(self, point: str) -> None:
        if point != self.point:
            return
        with self.guard:
            self.seen += 1
            if self.seen == self.nth:
                os.kill(os.getpid(), signal.SIGKILL)


def owner_name() -> str:
    """Who holds a lease: host, process and a random part (pids are reused after restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
