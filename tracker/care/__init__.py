"""Care: patients, and their enrollment on a published pathway version.

`patients` registers them, `procedure_time` checks a nurse's local procedure time,
`enrollment` and `schedule_rows` write an enrollment's checklist items and reminder rows,
`horizon` rolls recurring items forward, `rescheduling` moves them when the procedure time
changes, `finishing` cancels or completes an enrollment, and `consent` keeps the patient's
consent to text messages.
"""
