"""Password policy after NIST SP 800-63B, and argon2id hashing.

The rules are the ones the standard asks for and nothing more: at least
:data:`MIN_LENGTH` characters, up to :data:`MAX_LENGTH`, any characters (spaces
and emoji included; text is NFC-normalised first so the same password typed on
two keyboards matches), no composition rules, and a refusal of passwords that are
known to be common or breached, repetitive or sequential, or built from the
user's own name or the organisation's.

The deny-list joins zxcvbn's 30,000 most common passwords (from public breach
corpora) with ``data/passwords-id.txt``, common Indonesian passwords and the
words they are built from.  A password is refused when it is on the list, or is
a listed word followed by digits and punctuation (``rahasia123``, ``sayang!!``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from importlib.resources import files
from typing import TYPE_CHECKING

from dyncrm.errors import ValidationError

if TYPE_CHECKING:  # argon2 is imported when a password is hashed or checked
    from argon2 import PasswordHasher

MIN_LENGTH = 8
MAX_LENGTH = 128  # NIST asks for at least 64

_hasher: PasswordHasher | None = None  # argon2id with the library's current defaults


def _the_hasher() -> PasswordHasher:
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()
    return _hasher


def use_cheap_hashing_for_tests() -> None:
    """Hash with argon2id at its lowest cost, for test runs only (``dyncrm.testing`` does it).

    A production hash takes tens of milliseconds and 64 MiB on purpose; a test suite
    that signs hundreds of people in spends minutes on it.  Hashes made this way still
    verify anywhere, and a deployment that meets one rehashes it at the next sign-in.
    """
    from argon2 import PasswordHasher

    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_TAIL = re.compile(r"[\d\W_]*$")
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl",
              "zxcvbnm")


@functools.cache
def deny_list() -> frozenset[str]:
    """Every refused password (and password stem), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = set(FREQUENCY_LISTS["passwords"])
    text = files("dyncrm").joinpath("data/passwords-id.txt").read_text(encoding="utf-8")
    words.update(line.strip() for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))
    return frozenset(w.lower() for w in words)


def normalise(password: str) -> str:
    """The form that is hashed and checked: Unicode NFC (what SP 800-63B recommends)."""
    return unicodedata.normalize("NFC", password)


def _sequential(text: str) -> bool:
    lowered = text.lower()
    if len(set(lowered)) <= 2:  # aaaaaaaa, abababab
        return True
    return any(lowered in seq or lowered in seq[::-1] for seq in _SEQUENCES)


def problem(password: str, *, context: Iterable[str] = ()) -> str | None:
    """Why ``password`` may not be used, or ``None`` when it may.

    :param context: words the password must not be built from (the user name,
        the person's name, the organisation's name).
    """
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    lowered = password.lower()
    stem = _TAIL.sub("", lowered)
    banned = deny_list()
    if lowered in banned or stem in banned or lowered.strip() in banned:
        return "is too common (it is on a list of passwords that attackers try first)"
    if _sequential(password) or _sequential(stem or lowered):
        return "is a run of repeated or sequential characters"
    for word in context:
        word = (word or "").strip().lower()
        if len(word) >= 4 and (word in lowered or lowered in word):
            return f"must not contain {word!r}"
    return None


def check(password: str, *, context: Iterable[str] = ()) -> str:
    """Return the normalised password, or raise ``ValidationError`` saying why not."""
    reason = problem(password, context=context)
    if reason:
        raise ValidationError(reason, field="password")
    return normalise(password)


def hash_password(password: str, *, context: Iterable[str] = ()) -> str:
    """argon2id hash of ``password`` after the policy check."""
    return _the_hasher().hash(check(password, context=context))


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches the stored argon2 hash."""
    if not stored:
        return False
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _the_hasher().verify(stored, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was hashed with weaker parameters than today's."""
    from argon2.exceptions import InvalidHashError

    try:
        return _the_hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return False
