"""Library: documents become versioned pathways that an admin reviews and publishes.

`pathways` imports documents as draft versions, `step_edits` (with `step_fields`) edits a
draft's steps, `review` publishes, retires and starts new drafts, `preview` shows one
patient's schedule before anything is stored, and `patient_plan` reads a published version
the way a patient's pages show it; `translations` (with `translation_matching`,
`translation_rows`, `title_translations` and `reviewed_translations`) holds each step's and
each title's reviewed wording in another language.
"""
