"""The nurse blueprint (staff only), its template filters, and what its route modules share."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort

from tracker import auth
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.workspace.history_fields import value_label
from tracker.workspace.wording import css_status, local_text, short_text, status_label

bp = Blueprint("nurse", __name__, url_prefix="/nurse")
auth.require_staff_for_blueprint(bp)

UNPROCESSABLE = HTTPStatus.UNPROCESSABLE_ENTITY
T = TypeVar("T")


def get_or_404(model: type[T], row_id: int) -> T:
    row = get_session().get(model, row_id)
    if row is None:
        abort(404)
    return row


def _local(moment: datetime | None, zone_name: str) -> str:
    return "" if moment is None else local_text(moment, ZoneInfo(zone_name))


def _short(moment: datetime | None, zone_name: str) -> str:
    return "" if moment is None else short_text(moment, ZoneInfo(zone_name), utcnow())


bp.add_app_template_filter(_local, "nurse_time")
bp.add_app_template_filter(_short, "nurse_short")
bp.add_app_template_filter(css_status, "nurse_status_class")
bp.add_app_template_filter(status_label, "nurse_status_label")
bp.add_app_template_filter(value_label, "stored_status")  # "not_done" -> "no hecha"
