"""Small helpers every form view of the portal uses.

* :func:`form_key` — the form's submission key: a uuid made when the form was
  rendered (a hidden ``key`` field) and passed to the library action as its
  idempotency key, so pressing "send" twice records one action and replays the
  second;
* :func:`field_error` — a library refusal (:class:`~dyncrm.errors.ValidationError`
  and its kin) as ``{field: sentence}`` for the form's macros, under ``"_"``
  when it names no field.
"""

from __future__ import annotations

import uuid


def form_key(value: str | None = None) -> str:
    """The submitted ``key`` when it is a uuid, else a fresh one (for a new form)."""
    try:
        return uuid.UUID(value or "").hex
    except (ValueError, AttributeError, TypeError):
        return uuid.uuid4().hex


def field_error(exc: Exception, default: str = "_") -> dict[str, str]:
    """``{field: message}`` for a refused form; ``default`` when the error names no field.

    The message is shown beside its field, so it leaves out the field's name
    that the command line puts in front (``amount: ...``).
    """
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", None) if field else None
    return {field or default: message or str(exc)}
