"""Referral codes: every member has one, derived from the member id.

A code is six characters from an alphabet without look-alikes (no 0, O, 1, I):
five encode the member id through a fixed permutation, so neighbouring
members get unrelated-looking codes, and the sixth is a check character that
catches a mistyped or swapped character.  Codes need no table and never change.
"""

from __future__ import annotations

from dyncrm.errors import ValidationError

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 32
BODY = 5
SPACE = BASE**BODY  # 33,554,432 codes
MULTIPLIER = 19_941_317  # odd, so multiplication is a bijection modulo 2**25
INVERSE = pow(MULTIPLIER, -1, SPACE)
OFFSET = 7_340_033


def _check(body: str) -> str:
    total = sum((2 * i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % BASE]


def referral_code(member_id: int) -> str:
    """The referral code of member ``member_id``."""
    if not 0 < member_id < SPACE:
        raise ValidationError(f"member id {member_id} has no referral code")
    n = (member_id * MULTIPLIER + OFFSET) % SPACE
    chars = []
    for _ in range(BODY):
        n, digit = divmod(n, BASE)
        chars.append(ALPHABET[digit])
    body = "".join(reversed(chars))
    return body + _check(body)


def normalise(code: str) -> str:
    """Upper-case a typed code and drop spaces and dashes."""
    text = "".join(ch for ch in str(code) if ch not in " -\t")
    if not text.isascii():  # never let a case mapping turn a character into a code letter
        raise ValidationError("is not a referral code (six characters from "
                              f"{ALPHABET})", field="referral_code")
    return text.upper()


def member_id_of(code: str) -> int:
    """The member id a referral code belongs to (ValidationError if it is no code)."""
    text = normalise(code)
    if len(text) != BODY + 1 or any(ch not in ALPHABET for ch in text):
        raise ValidationError(f"is not a referral code (six characters from {ALPHABET})",
                              field="referral_code")
    body, check = text[:BODY], text[BODY]
    if _check(body) != check:
        raise ValidationError("is mistyped (its check character does not match)",
                              field="referral_code")
    n = 0
    for ch in body:
        n = n * BASE + ALPHABET.index(ch)
    member_id = ((n - OFFSET) * INVERSE) % SPACE
    if member_id == 0:
        raise ValidationError("belongs to no member", field="referral_code")
    return member_id
