"""Domain exceptions in one place: services raise them, views and commands catch them.

Each says in words what went wrong; where a person can fix it, `field` names the input.
Refusals a person reads on a page (`Refusal`) keep their words as a gettext msgid with
%(name)s placeholders and the values apart: `message` is the English text (the API, the
command line and the logs), `translated` the text in the current request's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from tracker.models import PathwayVersion


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name, known to pybabel
    """Mark a msgid for extraction (as tracker.i18n.N_, which would load Flask-Babel here)."""
    return message


class Word(str):
    """A value that is itself an English msgid (a state like 'cancelled'): a refusal's
    `translated` translates it too, so 'enrollment 4 is cancelled' reads whole in Spanish."""

    __slots__ = ()


class Refusal:
    """The words of a refusal: an English msgid `template` and its `values`.

    Templates are string literals at the raise (pybabel extracts them by the exception's name,
    see the Makefile's `catalogs`), never f-strings: a formatted text has no translation.
    """

    template: str
    values: dict[str, object]
    message: str  # the English text, as it always read

    def _word(self, template: str, values: Mapping[str, object]) -> str:
        self.template, self.values = template, dict(values)
        self.message = template % self.values if self.values else template
        return self.message

    @property
    def translated(self) -> str:
        """The text in the current request's language (a staff page's, or the patient's);
        English outside a request."""
        # Imported here: this module loads without Flask-Babel (`tracker preview`, the CLI).
        from tracker.i18n import in_request  # noqa: PLC0415

        values = {
            name: in_request(value) if isinstance(value, Word) else value
            for name, value in self.values.items()
        }
        return in_request(self.template, **values)


# --- Reading a document ----------------------------------------------------------------------


class DocumentError(Exception):
    """A document that cannot be read; str() is one line `PATH:LINE: problem` (0: whole file)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}".replace("\r", "\\r").replace("\n", "\\n"))


class LexiconError(ValueError):
    """A data file that does not hold what the timing reader needs."""


# --- Local time ------------------------------------------------------------------------------


class NonexistentLocalTime(ValueError):
    """A local time skipped when clocks move forward (enrollment asks the nurse which)."""


class AmbiguousLocalTime(ValueError):
    """A local time that happens twice when clocks move back."""


# --- The database ----------------------------------------------------------------------------


class ConfigurationError(ValueError):
    """A setting the app cannot start with; the message names it and says how to fix it."""


class SchemaOutdated(RuntimeError):
    """The database is behind the code's migrations."""


class AuditRowChanged(RuntimeError):
    """Someone tried to update or delete an audit row; history is append-only."""


# --- Staff accounts --------------------------------------------------------------------------


class AccountError(Refusal, ValueError):
    """A staff account request the rules refuse; `field` names the offending input."""

    def __init__(self, field: str, template: str, /, **values: object) -> None:
        super().__init__(self._word(template, values))
        self.field = field


# --- Review ----------------------------------------------------------------------------------


class ReviewError(Refusal, Exception):
    """A review action the rules refuse; str() says why in words for the admin."""

    def __init__(self, template: str, /, **values: object) -> None:
        super().__init__(self._word(template, values))


class InvalidStep(ReviewError):
    """Step fields that do not fit together; `field` names the one to fix."""

    def __init__(self, field: str, template: str, /, **values: object) -> None:
        super().__init__(template, **values)
        self.field = field
        self.args = (f"{field}: {self.message}",)  # str(): which field, then why


class VersionFrozen(ReviewError):
    """The version is not a draft: published and retired versions never change."""


class DraftExists(ReviewError):
    """The pathway already has a draft; edit that one instead of starting another."""

    def __init__(self, version: PathwayVersion) -> None:
        super().__init__(
            N_("v%(number)s is already a draft: edit it instead"), number=version.number
        )
        self.version = version


# --- Care ------------------------------------------------------------------------------------


class InvalidInput(Refusal, Exception):
    """Input a person can fix: `field` names it (as the service calls it), `message` says how."""

    def __init__(self, field: str, template: str, /, **values: object) -> None:
        self.field = field
        super().__init__(f"{field}: {self._word(template, values)}")


class UndecidedSteps(InvalidInput):
    """Conditional steps the nurse has neither confirmed nor dropped."""

    def __init__(self, steps: list[tuple[int, str]]) -> None:
        self.steps = steps  # (step id, text)
        listed = "; ".join(f"[{step_id}] {text}" for step_id, text in steps)
        super().__init__(
            "conditional", N_("confirm or drop each conditional step: %(steps)s"), steps=listed
        )


# --- Delivery --------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A channel could not deliver; `temporary` says whether trying again may help."""

    temporary: ClassVar[bool] = True


class TemporaryFailure(DeliveryError):
    """Try again later (4xx SMTP reply, 5xx HTTP status, server unreachable)."""


class PermanentFailure(DeliveryError):
    """Trying again will not help (5xx SMTP reply, 4xx HTTP status, no address)."""

    temporary = False


class DispatcherLocked(RuntimeError):
    """Another dispatcher already runs against this SQLite database."""


# --- The patient's side ----------------------------------------------------------------------


class ItemNotFound(LookupError):
    """No item with that id in this enrollment (another patient's ids included)."""


class LinkNotFound(LookupError):
    """No link has this token (mistyped, forged or from another installation)."""


class LinkGone(LookupError):
    """The link existed but was revoked or has expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "revoked" | "expired"


# --- Text replies ----------------------------------------------------------------------------


class ReplayedMessage(LookupError):
    """An inbound text whose provider id or signature was already seen: nothing is done twice."""
