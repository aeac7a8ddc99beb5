"""Library: documents become versioned pathways that an admin reviews and publishes.

`pathways` imports documents as draft versions, `review` and `step_fields` edit and publish
them, `preview` shows one patient's schedule before anything is stored, and `patient_plan`
reads a published version the way a patient's pages show it; `translations` (with
`translation_matching` and `translation_rows`) holds each step's reviewed wording in another
language.
"""
