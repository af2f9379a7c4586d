"""Text people type, made safe to store and safe to show.

One place decides which characters stored text may hold, how it is normalised,
and how anything odd is shown on a terminal:

- :func:`clean_text` normalises to NFC, trims and collapses whitespace (or keeps
  line breaks for multi-line text) and refuses control characters, bidirectional
  overrides, other invisible format characters, private-use and unassigned code
  points, and bytes that were not valid UTF-8 (lone surrogates, as Python's
  ``surrogateescape`` hands over undecodable command-line bytes).
- :func:`person_name` accepts names as Indonesians type them: curly apostrophes
  (``Ma’ruf``) become ``'``, decomposed accents (``Jose\u0301``) are composed.
- :func:`printable` escapes what a terminal would interpret (``ESC``, bidi
  overrides, …) as visible ``\\x1b``/``\\u202e`` sequences; :class:`TerminalEscaper`
  does that to everything a command writes to a terminal.
- :func:`decode_utf8` and :func:`read_text_file` turn bytes from a file into text
  or a :class:`~dyncrm.errors.ValidationError` naming the file, line and byte.

Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, TextIO

from dyncrm.errors import ValidationError

#: Format characters (category Cf) that are part of ordinary writing: the zero
#: width joiner and non-joiner (emoji sequences, Indic and Arabic scripts).
ALLOWED_FORMAT = frozenset("\u200c\u200d")

#: Characters that reorder the text around them when displayed.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")

#: Apostrophe look-alikes people type (phones and word processors turn ' into ’).
APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4\u2032\u02b9"

NAME_PUNCTUATION = frozenset(" .,'-")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")


def describe(ch: str) -> str:
    """A short phrase naming ``ch`` for an error message, e.g. ``'U+001B (ESCAPE)'``."""
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        if 0xDC80 <= code <= 0xDCFF:
            return f"the byte 0x{code - 0xDC00:02X}, which is not valid UTF-8"
        return f"U+{code:04X} (an unpaired surrogate, not valid UTF-8)"
    name = unicodedata.name(ch, "")
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def odd_character(ch: str, *, multiline: bool = False) -> str | None:
    """Why ``ch`` may not be stored in text (``None`` when it may).

    ``multiline`` allows line feeds and tabs.
    """
    if multiline and ch in "\n\t":
        return None
    category = unicodedata.category(ch)
    if category == "Cs":
        return "bytes that are not valid UTF-8"
    if ch in BIDI_CONTROLS:
        return "a bidirectional control character"
    if category == "Cc":
        return "a control character"
    if category == "Cf" and ch not in ALLOWED_FORMAT:
        return "an invisible format character"
    if category == "Co":
        return "a private-use character"
    if category == "Cn":
        return "an unassigned character"
    return None


def check_characters(text: str, *, field: str, multiline: bool = False) -> None:
    """Raise ``ValidationError`` naming ``field`` if ``text`` holds a character it may not."""
    for i, ch in enumerate(text, start=1):
        why = odd_character(ch, multiline=multiline)
        if why is not None:
            if why.startswith("bytes"):
                raise ValidationError(f"is not valid UTF-8 text ({describe(ch)}, at character "
                                      f"{i}); save it as UTF-8", field=field)
            raise ValidationError(f"contains {why}, {describe(ch)}, at character {i}; "
                                  "remove it", field=field)


def clean_text(value: Any, *, field: str, max_length: int = 10_000, min_length: int = 0,
               multiline: bool = False) -> str:
    """Normalised text for storing, or a ``ValidationError`` naming ``field``.

    NFC; leading and trailing whitespace removed; in single-line text every run
    of whitespace (including line breaks and tabs) becomes one space; in
    multi-line text ``\\r\\n``, ``\\r`` and Unicode line separators become ``\\n``
    and trailing spaces on each line go.  ``None`` counts as empty.  Refuses
    the characters :func:`odd_character` names, text shorter than
    ``min_length`` or longer than ``max_length`` characters.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"must be text, not {type(value).__name__}", field=field)
    # check before normalising: NFC and whitespace collapsing must not hide anything
    check_characters(value.replace("\r", ""), field=field, multiline=True)
    text = unicodedata.normalize("NFC", value)
    if multiline:
        lines = _LINE_BREAKS.sub("\n", text).split("\n")
        text = "\n".join(line.rstrip() for line in lines).strip()
    else:
        text = " ".join(text.split())
    if len(text) < min_length:
        if min_length <= 1:
            raise ValidationError("must not be empty", field=field)
        raise ValidationError(f"give at least {min_length} characters", field=field)
    if len(text) > max_length:
        raise ValidationError(f"is {len(text)} characters long; at most {max_length} are "
                              "accepted", field=field)
    return text


def person_name(value: Any, *, field: str = "name", max_length: int = 100) -> str:
    """A person's name: letters (with their accents), spaces and ``. , ' -``.

    Curly and other apostrophe look-alikes become ``'`` (``Ma’ruf`` → ``Ma'ruf``);
    the result is NFC, so a decomposed ``José`` is stored composed.
    """
    text = clean_text(value, field=field, max_length=max_length)
    for ch in APOSTROPHES:
        text = text.replace(ch, "'")
    if len(text) < 2:
        raise ValidationError("give the full name (at least 2 characters)", field=field)
    previous = ""
    for ch in text:
        category = unicodedata.category(ch)
        mark_on_letter = category.startswith("M") and bool(previous) and \
            unicodedata.category(previous)[0] in "LM"
        if not (category.startswith("L") or ch in NAME_PUNCTUATION or mark_on_letter):
            raise ValidationError(f"may contain only letters, spaces and . , ' - (not "
                                  f"{describe(ch)})", field=field)
        previous = ch
    if not any(ch.isalpha() for ch in text):
        raise ValidationError("must contain letters", field=field)
    return text


# --- showing text on a terminal ---------------------------------------------------------


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _shown_as_is(ch: str) -> bool:
    if ch in "\n\t":
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or ch in BIDI_CONTROLS:
        return False
    return category != "Cf" or ch in ALLOWED_FORMAT


def printable(text: Any) -> str:
    """``text`` with every character a terminal might act on shown as an escape.

    Control characters (except line feed and tab), bidirectional controls,
    invisible format characters, private-use, unassigned and surrogate code
    points become ``\\x1b``, ``\\u202e``…; everything else is unchanged.
    """
    text = str(text)
    if all(_shown_as_is(ch) for ch in text):
        return text
    return "".join(ch if _shown_as_is(ch) else _escape(ch) for ch in text)


# What dyncrm itself writes to a terminal: click.style's colours, click's progress bar.
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\r")


class TerminalEscaper:
    """A text stream wrapper that passes text through :func:`printable`.

    The escape sequences dyncrm itself emits (colours and bold from
    ``click.style``, the progress bar's carriage return and cursor switches)
    pass unchanged; everything else odd is shown escaped.  Other attributes
    (``buffer``, ``isatty``, ``fileno``, ``encoding``…) are the wrapped stream's.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with odd characters escaped; returns ``len(text)``."""
        parts, last = [], 0
        for match in _OWN_SEQUENCES.finditer(text):
            parts.append(printable(text[last:match.start()]))
            parts.append(match.group())
            last = match.end()
        parts.append(printable(text[last:]))
        self._stream.write("".join(parts))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# --- bytes from files ---------------------------------------------------------------------


def decode_utf8(data: bytes, *, source: str) -> str:
    """``data`` decoded as UTF-8 (a leading byte-order mark dropped).

    Invalid bytes raise a ``ValidationError`` naming ``source``, the line and
    the byte, instead of a ``UnicodeDecodeError``.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValidationError(
            f"is not UTF-8 text: line {line} has the byte 0x{data[exc.start]:02X} "
            f"(byte {exc.start + 1} of the file); save it as UTF-8", field=source) from None


def read_text_file(path: str | Path, *, field: str | None = None,
                   max_bytes: int = 50_000_000) -> str:
    """The UTF-8 text of the file at ``path``.

    Refuses (``ValidationError`` naming ``field`` or the file) files over
    ``max_bytes`` and files that are not UTF-8.
    """
    path = Path(path)
    name = field or str(path)
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(f"is larger than {max_bytes:,} bytes", field=name)
    return decode_utf8(data, source=name)


def read_stdin(*, field: str, max_bytes: int = 50_000_000) -> str:
    """Standard input as UTF-8 text (for options given as ``-``), or a
    ``ValidationError`` naming ``field`` when it is not UTF-8 or too large."""
    import sys

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream handed in (tests, embedding)
        text = sys.stdin.read(max_bytes + 1)
        check_characters(text, field=field, multiline=True)
        data_len = len(text)
    else:
        data = buffer.read(max_bytes + 1)
        data_len = len(data)
        text = decode_utf8(data, source=field)
    if data_len > max_bytes:
        raise ValidationError(f"is larger than {max_bytes:,} bytes", field=field)
    return text


__all__ = [
    "APOSTROPHES", "BIDI_CONTROLS", "TerminalEscaper", "check_characters", "clean_text",
    "decode_utf8", "describe", "odd_character", "person_name", "printable", "read_stdin",
    "read_text_file",
]
