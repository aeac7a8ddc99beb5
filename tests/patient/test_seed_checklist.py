"""The seed pathway's checklist counted: pathways/22868.txt (lumbar interspinous device,
second level), enrolled four days ahead as in issue 13.

Expectations from the document's text (Preparation, Recovery, Patient Experience):
- do (ticked): check the blood thinner with the surgeon (a week before), the MRI or CT scan
  (2 weeks before), the pain medicine daily for 1 to 2 weeks, walking within a few hours,
  the wound check at 10 to 14 days, the X-ray visit at 6 weeks: 6 steps.
- avoid (restrictions): no solid food after midnight, keep the incision clean and dry for
  2 weeks, no heavy lifting, bending or twisting for 6 weeks: 3 steps, each one span from
  its start to its end (one row, reminded once when it starts), never a daily task.
- know (notes, never ticked or reminded): clear fluids up to 2 hours before, return to light
  activities within 1 to 2 weeks, expect some soreness: 3 steps.
- watch: the risks' warning signs, checked daily for the 2 weeks of recovery: 1 step.
Enrolled on Mon 1 Mar for Fri 5 Mar 08:00 EST (the procedure takes 1 to 2 hours: it ends
10:00), the stored rows reach the 14-day horizon (Mon 15 Mar 08:00 EDT): the daily steps
have 10 rows each (Fri 5 to Sun 14 Mar). The blood thinner check (by end of Fri 26 Feb) and
the scan (by end of Fri 19 Feb) are already overdue when the plan starts; still worth doing
before the procedure, they stay open and are reminded at once.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import time_machine
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.enrollment_helpers import NOW, enroll_patient, pathways_22868_version
from tracker.models import ChecklistItem, Reminder, Step
from tracker.patient.links import issue_link, open_link
from tracker.patient.printed_plan import printable
from tracker.patient.text import ENGLISH

START = datetime(2027, 3, 5, 8, 0)  # local (America/New_York), four days after NOW

STEPS = {"do": 6, "avoid": 3, "know": 3, "watch": 1}
ROWS = {"do": 4 + 10 + 1, "avoid": 3, "know": 3, "watch": 10}
OVERDUE = {"do": 2}  # the blood thinner check and the scan: due before the plan began
# One reminder when each pending row opens (the daily ones at the 09:00 reminder hour), and
# for the critical fasting a second an hour before it ends; none for notes.
REMINDERS = {"do": 5 + 10, "avoid": 3 + 1, "know": 0, "watch": 10}


def test_the_seed_pathways_checklist_counted(client: FlaskClient, session: Session) -> None:
    version = pathways_22868_version(session)
    enrollment = enroll_patient(session, version=version, start=START, now=NOW)
    link, token = issue_link(session=session, enrollment=enrollment, now=NOW, actor="test")
    session.commit()
    steps = {s.id: s for s in session.exec(select(Step).where(Step.version_id == version.id))}
    assert Counter(s.asks for s in steps.values()) == STEPS

    items = list(
        session.exec(select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id))
    )
    asks = {item.id: steps[item.step_id].asks for item in items}
    assert Counter(asks.values()) == ROWS
    overdue = [i for i in items if i.status == "pending" and i.due_at < NOW]
    assert Counter(asks[i.id] for i in overdue) == OVERDUE
    reminders = session.exec(select(Reminder).where(Reminder.enrollment_id == enrollment.id)).all()
    assert Counter(asks[r.item_id] for r in reminders) == {k: v for k, v in REMINDERS.items() if v}

    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/p/{token}?all=1")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    know = [i for i in items if asks[i.id] == "know"]
    for item in know:
        entry = re.search(rf'<li id="item-{item.id}"[^>]*>.*?</li>', page, re.S)
        assert entry is not None, steps[item.step_id].text
        assert "<button" not in entry.group(0) and "<form" not in entry.group(0)
    know_ids = {item.id for item in know}
    forms = {int(n) for n in re.findall(r'action="[^"]*/items/(\d+)"', page)}
    assert len(forms) == 2, "the two overdue do items can be ticked now"

    # On paper only the do items have a box to tick.
    access = open_link(db=session, token=token, now=NOW)
    rows = [row for _, day in printable(session, access, now=NOW, words=ENGLISH) for row in day]
    by_text = {step.text: step.asks for step in steps.values()}
    assert len(rows) == sum(STEPS.values()), "one line per step, repeats included"
    assert {row.text: row.tickable for row in rows} == {
        text: asks == "do" for text, asks in by_text.items()
    }
    assert not forms & know_ids
