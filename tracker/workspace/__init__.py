"""The nurse's workspace: the dashboard's work lists, pick lists, and one patient's timeline.

`dashboard` and `work_list_pages` read the work lists, `choices` the pick lists and patient
search, `patient_timeline` one enrollment's items, reminders and history, drawn by `timeline`.
"""
