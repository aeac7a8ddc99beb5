"""Reading: a procedure document's text becomes timed steps.

`documents` splits the text into sections and bullets, `phrases` and `frequencies` find what an
instruction says about time, `windows` and `timing` turn that into windows relative to the
procedure, with the lexicon and clinical defaults (`data/*.toml`) as data. `steps` holds the
values this produces; `wording` says them in words.
"""
