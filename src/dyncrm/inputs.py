"""Typed values other than money and free text: e-mail, identifiers, dates, counts.

Each function takes what a person typed (or a form posted) and returns the
clean value, or raises :class:`~dyncrm.errors.ValidationError` naming the
field.  Commands reach them through the click types of :mod:`dyncrm.params`;
plugins' validators call them directly.  Amounts, rates and percentages are in
:mod:`dyncrm.money`, free text and names in :mod:`dyncrm.text`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from dyncrm.errors import ValidationError
from dyncrm.text import check_characters, describe

# --- e-mail -------------------------------------------------------------------------------

#: RFC 5322 ``atext``: what a dot-atom local part may hold besides dots.
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
MAX_EMAIL = 254  #: RFC 5321 path limit less the angle brackets
MAX_LOCAL = 64  #: RFC 5321 local-part limit
MAX_LABEL = 63  #: RFC 1035 label limit


def email(value: Any, *, field: str = "email") -> str:
    """An e-mail address within RFC 5321/5322 limits, lower-cased.

    A dot-atom local part of at most 64 characters without leading, trailing
    or doubled dots; a domain of at least two labels of 1 to 63 letters,
    digits or inner hyphens; at most 254 characters in all; ASCII only.
    """
    if not isinstance(value, str):
        raise ValidationError("must be text", field=field)
    check_characters(value, field=field)
    text = value.strip()
    example = " (like name@example.com)"
    if not text.isascii():
        bad = next(ch for ch in text if not ch.isascii())
        raise ValidationError(f"may contain only ASCII characters, not {describe(bad)}"
                              f"{example}", field=field)
    text = text.lower()
    if text.count("@") != 1:
        raise ValidationError(f"is not an e-mail address{example}", field=field)
    local, domain = text.split("@")
    if len(text) > MAX_EMAIL:
        raise ValidationError(f"is {len(text)} characters long; at most {MAX_EMAIL}",
                              field=field)
    if not local or len(local) > MAX_LOCAL:
        raise ValidationError(f"the part before @ must be 1 to {MAX_LOCAL} characters",
                              field=field)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValidationError("the part before @ may not start or end with a dot or hold "
                              "two dots in a row", field=field)
    if not all(_ATEXT.fullmatch(part) for part in local.split(".")):
        raise ValidationError(f"the part before @ holds a character an address may not "
                              f"have{example}", field=field)
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise ValidationError(f"needs a domain such as example.com after @{example}",
                              field=field)
    for label in labels:
        if len(label) > MAX_LABEL:
            raise ValidationError(f"the domain part {label[:20]}… is longer than "
                                  f"{MAX_LABEL} characters", field=field)
        if not _LABEL.fullmatch(label):
            raise ValidationError(f"the domain part {label!r} may hold only letters, digits "
                                  "and hyphens, and may not start or end with a hyphen",
                                  field=field)
    if labels[-1].isdigit():
        raise ValidationError("the domain must end in a name such as .com or .id",
                              field=field)
    return text


# --- identifiers -----------------------------------------------------------------------------


def identifier(value: Any, *, field: str, case: str | None = "upper", max_length: int = 32,
               punctuation: str = "./-", spaces: str = "remove") -> str:
    """A code such as an employee number, a username or a ticket number.

    ASCII letters, digits and ``punctuation`` only, starting with a letter or
    digit, at most ``max_length`` characters.  ``case`` (``"upper"``,
    ``"lower"`` or ``None``) maps letters only after the ASCII check, so no
    character can turn into another under case mapping (``ı123`` is never
    ``I123``, ``ß1`` never ``SS1``).  ``spaces``: ``"remove"`` drops
    whitespace people type between groups, ``"refuse"`` refuses it.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValidationError("must be text", field=field)
    check_characters(value, field=field)
    text = unicodedata.normalize("NFC", value).strip()
    if spaces == "remove":
        text = "".join(text.split())
    allowed = set(punctuation)
    listed = " ".join(punctuation)
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in allowed):
            continue
        mapped = not ch.isascii() and (ch.upper() != ch or ch.lower() != ch)
        hint = "; it would change under upper- or lower-casing" if mapped else ""
        raise ValidationError(f"may contain only the letters A-Z, digits and {listed}, not "
                              f"{describe(ch)}{hint}", field=field)
    if not text:
        raise ValidationError("must not be empty", field=field)
    if not text[0].isalnum():
        raise ValidationError("must start with a letter or a digit", field=field)
    if len(text) > max_length:
        raise ValidationError(f"is {len(text)} characters long; at most {max_length}",
                              field=field)
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    return text


def reference(value: Any, *, field: str = "reference", max_length: int = 120) -> str:
    """A receipt, transfer or batch reference: printable ASCII, inner spaces allowed.

    It is kept as typed (trimmed, runs of spaces collapsed), never case-mapped.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("give a reference (receipt, transfer or batch number); it "
                              "makes a repeated entry harmless", field=field)
    if not (value.isascii() and value.isprintable()):  # printable ASCII holds none
        check_characters(value, field=field)
    text = " ".join(value.split())
    bad = next((ch for ch in text if not (ch.isascii() and ch.isprintable())), None)
    if bad is not None:
        raise ValidationError(f"may contain only ASCII letters, digits, spaces and "
                              f"punctuation, not {describe(bad)}", field=field)
    if len(text) > max_length:
        raise ValidationError(f"must be at most {max_length} characters", field=field)
    return text


# --- dates -------------------------------------------------------------------------------

#: The oldest age a birth date may give.
MAX_AGE = 120
#: How far back a business date (deposit, application, report…) may lie.
BUSINESS_YEARS_BACK = 50
#: How far ahead a business date (a promotion's end, a planned payout…) may lie.
BUSINESS_YEARS_AHEAD = 10

DATE_KINDS = ("birth", "business", "past")
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


def _years_from(day: dt.date, years: int) -> dt.date:
    year = min(max(day.year + years, dt.MINYEAR), dt.MAXYEAR)
    return day.replace(year=year, day=28 if day.month == 2 and day.day == 29 else day.day)


def date_bounds(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The earliest and latest plausible date of ``kind`` (see :func:`check_date`)."""
    if kind == "birth":
        return _years_from(today, -MAX_AGE), today
    if kind == "business":
        return _years_from(today, -BUSINESS_YEARS_BACK), _years_from(today,
                                                                      BUSINESS_YEARS_AHEAD)
    if kind == "past":
        return _years_from(today, -BUSINESS_YEARS_BACK), today
    raise ValueError(f"unknown date kind {kind!r}; kinds: {', '.join(DATE_KINDS)}")


def check_date(day: dt.date, *, field: str, kind: str = "business",
               today: dt.date | None = None) -> dt.date:
    """``day`` if it is plausible for its ``kind``, else a ``ValidationError``.

    ``birth``: not in the future and at most :data:`MAX_AGE` years ago;
    ``business``: within :data:`BUSINESS_YEARS_BACK` years before and
    :data:`BUSINESS_YEARS_AHEAD` after ``today``; ``past``: a business date
    not after ``today``.
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    today = today or dt.date.today()
    earliest, latest = date_bounds(kind, today)
    if day > latest:
        if latest == today:
            raise ValidationError(f"{day.isoformat()} is in the future", field=field)
        raise ValidationError(f"{day.isoformat()} is too far in the future (latest "
                              f"{latest.isoformat()})", field=field)
    if day < earliest:
        what = "a plausible date of birth" if kind == "birth" else "a plausible date"
        raise ValidationError(f"{day.isoformat()} is not {what} (earliest "
                              f"{earliest.isoformat()})", field=field)
    return day


def parse_date(value: Any, *, field: str, kind: str = "business",
               today: dt.date | None = None) -> dt.date:
    """A date typed ``YYYY-MM-DD`` (or ``DD-MM-YYYY``, ``DD/MM/YYYY``), checked by
    :func:`check_date` for its ``kind``; a ``date`` passes straight to the check."""
    if isinstance(value, dt.date):
        return check_date(value, field=field, kind=kind, today=today)
    if not isinstance(value, str):
        raise ValidationError("write the date as YYYY-MM-DD", field=field)
    text = value.strip()
    if len(text) > 10 or not text.isascii():
        raise ValidationError("write the date as YYYY-MM-DD", field=field)
    for fmt in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return check_date(day, field=field, kind=kind, today=today)
    raise ValidationError(f"write the date as YYYY-MM-DD ({text!r} is not a date)",
                          field=field)


# --- counts -------------------------------------------------------------------------------

#: The longest loan or savings term, in months, any schedule is made for.
MAX_TERM_MONTHS = 600


def parse_count(value: Any, *, field: str, minimum: int = 0, maximum: int = 10**9) -> int:
    """A whole number from ``minimum`` to ``maximum``, typed in ASCII digits."""
    if isinstance(value, bool):
        raise ValidationError("must be a whole number", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,19}", value.strip(" \t")):
        number = int(value.strip(" \t"))
    else:
        raise ValidationError(f"{value!r} is not a whole number", field=field)
    if not minimum <= number <= maximum:
        def shown(n: int) -> str:
            return f"{n:,}".replace(",", ".")

        raise ValidationError(f"must be from {shown(minimum)} to {shown(maximum)}, not "
                              f"{shown(number)}", field=field)
    return number


def parse_term(value: Any, *, field: str = "term") -> int:
    """A term in months, 1 to :data:`MAX_TERM_MONTHS`."""
    return parse_count(value, field=field, minimum=1, maximum=MAX_TERM_MONTHS)


__all__ = [
    "BUSINESS_YEARS_AHEAD", "BUSINESS_YEARS_BACK", "DATE_KINDS", "MAX_AGE", "MAX_TERM_MONTHS",
    "check_date", "date_bounds", "email", "identifier", "parse_count", "parse_date",
    "parse_term", "reference",
]
