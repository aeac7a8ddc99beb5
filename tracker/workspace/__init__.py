"""The nurse's workspace: the dashboard's work lists, pick lists, and one patient's timeline.

`dashboard` gathers the work lists (`procedure_lists`, `item_lists`, `reminder_lists`, paged by
`work_list_pages`), `choices` the pick lists and patient search, `patient_page` one
enrollment's items, reminders and history, drawn by `patient_timeline` on `timeline`; `wording`
says statuses and times the way the pages show them.
"""
