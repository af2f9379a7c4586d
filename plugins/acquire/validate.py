"""Checks and normalisation of what an applicant types.

Each function takes the raw text and returns the clean value or raises
:class:`~dyncrm.errors.ValidationError` naming the field.  Nothing here touches
the database.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from dyncrm import inputs
from dyncrm.errors import ValidationError
from dyncrm.text import clean_text, person_name

#: Province codes (kode wilayah, first two NIK digits) of Kemendagri, incl. the 2022 Papua split.
PROVINCES: dict[int, str] = {
    11: "Aceh", 12: "Sumatera Utara", 13: "Sumatera Barat", 14: "Riau", 15: "Jambi",
    16: "Sumatera Selatan", 17: "Bengkulu", 18: "Lampung", 19: "Kepulauan Bangka Belitung",
    21: "Kepulauan Riau", 31: "DKI Jakarta", 32: "Jawa Barat", 33: "Jawa Tengah",
    34: "DI Yogyakarta", 35: "Jawa Timur", 36: "Banten", 51: "Bali",
    52: "Nusa Tenggara Barat", 53: "Nusa Tenggara Timur", 61: "Kalimantan Barat",
    62: "Kalimantan Tengah", 63: "Kalimantan Selatan", 64: "Kalimantan Timur",
    65: "Kalimantan Utara", 71: "Sulawesi Utara", 72: "Sulawesi Tengah",
    73: "Sulawesi Selatan", 74: "Sulawesi Tenggara", 75: "Gorontalo", 76: "Sulawesi Barat",
    81: "Maluku", 82: "Maluku Utara", 91: "Papua Barat", 92: "Papua Barat Daya", 94: "Papua",
    95: "Papua Selatan", 96: "Papua Tengah", 97: "Papua Pegunungan",
}

MAX_AGE = inputs.MAX_AGE


@attrs.frozen
class NikFacts:
    """What a KTP NIK says about its holder."""

    nik: str
    province: str
    birth_date: dt.date
    gender: str  # female | male


def _text(value: object, field: str) -> str:
    """``value`` as text: what a form or command passed, never a number or ``None``."""
    if not isinstance(value, str):
        raise ValidationError(f"must be text, not {type(value).__name__}", field=field)
    return value


def full_name(value: str) -> str:
    """A person's name: letters (with accents), spaces and . , ' - ; 2 to 100 characters.

    Stored NFC, curly apostrophes as ``'`` (see :func:`dyncrm.text.person_name`).
    """
    if len("".join(_text(value, "full_name").split())) < 2:
        raise ValidationError("give the applicant's full name (at least 2 characters)",
                              field="full_name")
    return person_name(value, field="full_name", max_length=100)


def _nik_date(day: int, month: int, yy: int, on: dt.date,
              born: dt.date | None) -> dt.date | None:
    """The birth date coded in a NIK, choosing the century that makes sense."""
    candidates = []
    for century in (1900, 2000):
        try:
            candidates.append(dt.date(century + yy, month, day))
        except ValueError:
            continue
    if born is not None:
        return born if born in candidates else None
    plausible = [d for d in candidates if d <= on and on.year - d.year <= MAX_AGE]
    return max(plausible) if plausible else None


def nik(value: str, *, on: dt.date, date_of_birth: dt.date | None = None) -> NikFacts:
    """Check a KTP NIK's shape and return what it encodes.

    16 digits: province (a real province code), regency and district (not 00),
    birth date ``DDMMYY`` (women add 40 to the day) and a serial (not 0000).
    When ``date_of_birth`` is given the NIK must encode that date.
    """
    digits = re.sub(r"[\s.-]", "", _text(value, "nik"))
    if not re.fullmatch(r"[0-9]{16}", digits):
        raise ValidationError("a KTP NIK has exactly 16 digits", field="nik")
    province = int(digits[:2])
    if province not in PROVINCES:
        raise ValidationError(f"starts with {digits[:2]}, which is not an Indonesian "
                              "province code", field="nik")
    if digits[2:4] == "00" or digits[4:6] == "00":
        raise ValidationError("digits 3-6 must be a regency and district code (not 00)",
                              field="nik")
    if digits[12:] == "0000":
        raise ValidationError("the last 4 digits (serial) cannot be 0000", field="nik")
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    gender = "male"
    if day > 40:
        day, gender = day - 40, "female"
    if not 1 <= day <= 31 or not 1 <= month <= 12:
        raise ValidationError("digits 7-12 must be a birth date DDMMYY (women add 40 "
                              "to the day)", field="nik")
    born = _nik_date(day, month, yy, on, date_of_birth)
    if born is None:
        if date_of_birth is not None:
            raise ValidationError(
                f"encodes the birth date {day:02d}-{month:02d}-{yy:02d}, which does not match "
                f"the date of birth {date_of_birth.isoformat()}", field="nik")
        raise ValidationError("digits 7-12 are not a possible birth date", field="nik")
    return NikFacts(nik=digits, province=PROVINCES[province], birth_date=born, gender=gender)


def email(value: str) -> str:
    """An e-mail address within RFC 5321/5322 limits, lower-cased."""
    return inputs.email(value, field="email")


def mobile(value: str) -> str:
    """An Indonesian mobile number as ``+628…`` (accepts 08…, 628…, +62 8…)."""
    text = re.sub(r"[\s().-]", "", _text(value, "mobile"))
    if text.startswith("+"):
        text = text[1:]
        if not text.startswith("62"):
            raise ValidationError("must be an Indonesian mobile number (+62…)", field="mobile")
    if not re.fullmatch(r"[0-9]+", text):
        raise ValidationError("may contain only digits, spaces, dashes and a leading +",
                              field="mobile")
    if text.startswith("62"):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    if not national.startswith("8") or not 9 <= len(national) <= 12:
        raise ValidationError("must be a mobile number such as 0812-3456-7890", field="mobile")
    return "+62" + national


def employee_number(value: str) -> str:
    """An employee number: ASCII letters, digits, . / - ; up to 32 characters, upper-cased."""
    return inputs.identifier(value, field="employee_number", case="upper", max_length=32)


def department(value: str, allowed: tuple[str, ...] = ()) -> str:
    """A department name; one of ``allowed`` (matched case-insensitively) when given."""
    text = clean_text(_text(value, "department"), field="department", min_length=1,
                      max_length=64)
    if allowed:
        for name in allowed:
            if name.casefold() == text.casefold():
                return name
        raise ValidationError(f"must be one of: {', '.join(allowed)}", field="department")
    return text


def address(value: str) -> str:
    """A postal address, 5 to 300 characters (line breaks kept as ', ')."""
    lines = clean_text(_text(value, "address"), field="address", multiline=True,
                       max_length=1000).splitlines()
    text = ", ".join(part for part in (" ".join(p.split()) for p in lines) if part)
    if len(text) < 5 or len(text) > 300:
        raise ValidationError("give an address of 5 to 300 characters", field="address")
    return text


def date(value: str | dt.date, field: str, *, kind: str = "business",
         on: dt.date | None = None) -> dt.date:
    """A date written ``YYYY-MM-DD`` (or ``DD-MM-YYYY``), plausible for its ``kind``
    relative to ``on`` (see :func:`dyncrm.inputs.parse_date`)."""
    return inputs.parse_date(value, field=field, kind=kind, today=on)


def date_of_birth(value: str | dt.date, *, on: dt.date, min_age: int) -> dt.date:
    """A birth date making the applicant at least ``min_age`` years old."""
    born = date(value, "date_of_birth", kind="birth", on=on)
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age < min_age:
        raise ValidationError(f"the applicant must be at least {min_age} years old",
                              field="date_of_birth")
    if age > MAX_AGE:
        raise ValidationError("is not a plausible date of birth", field="date_of_birth")
    return born


def choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    """One of ``allowed`` (case-insensitive)."""
    text = str(value).strip().lower()
    if text not in allowed:
        raise ValidationError(f"must be one of: {', '.join(allowed)}", field=field)
    return text


def reason(value: str | None, field: str = "reason") -> str:
    """A reason a person gives: some words, at most 500 characters."""
    text = clean_text(value, field=field, max_length=500)
    if len(text) < 3:
        raise ValidationError("say why, in a few words", field=field)
    return text
