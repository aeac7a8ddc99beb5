"""The nurse workspace: dashboard, work lists, patients, enrollment and its changes.

Views parse (tracker.web.nurse.forms), call services, commit, flash and redirect; a service's
InvalidInput rolls the request's transaction back and re-renders the form with status 422.
One blueprint, its routes in a module per job: `bp` lives in .blueprint, which the route
modules import (never this package), and importing them here puts their routes on it, each
still named "nurse.<view>".
"""

from __future__ import annotations

# Imported for their routes.
from tracker.web.nurse import (  # noqa: F401
    dashboard,
    enroll,
    enrollment_changes,
    patients,
    reminder_labels,
    text_messages,
)
from tracker.web.nurse.blueprint import bp

__all__ = ["bp"]
