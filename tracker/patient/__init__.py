"""The patient's side: personal links, the checklist page, ticking, calendar and print.

`links` issues and opens personal links, `ticking` records what the patient (or a nurse on
their behalf) did, `page`, `queries` and `reader` build the checklist page in the patient's
zone and words (`text`), `printed_plan` and `calendar_feed` give the same plan on paper and in
a calendar; `text_replies` acts on what the patient texts back.
"""
