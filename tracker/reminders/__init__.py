"""Reminders: the outbox and its delivery.

`rules` decides which due reminder to send, defer or expire and how it reads, `dispatch`
claims and sends them through `channels` (in-app, email, webhook), `scheduler` is the
APScheduler clock that wakes the dispatcher, `escalation` raises alerts for critical items
nobody ticked, and `texting` holds text messages to the patient's consent and daily budget.
"""
