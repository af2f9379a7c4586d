"""Settings of retain.feedback, read from ``[plugins."retain.feedback"]``."""

from __future__ import annotations

import datetime as dt

import attrs

from dyncrm_retain.feedback.attachments import SIGNATURES
from dyncrm_retain.feedback.sla import parse_holidays

PLUGIN = "retain.feedback"


def _check_pattern(instance, attribute, value: str) -> None:
    if "{seq" not in value:
        raise ValueError(f"number_pattern {value!r} must contain {{seq}} "
                         "(e.g. FB-{year}-{seq:05d})")
    try:
        value.format(year=2026, seq=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"number_pattern {value!r} cannot be used: {exc}; "
                         "use only {year} and {seq}") from None


def _check_holidays(instance, attribute, value: tuple[str, ...]) -> None:
    parse_holidays(value)


def _check_types(instance, attribute, value: tuple[str, ...]) -> None:
    unknown = set(value) - set(SIGNATURES)
    if unknown:
        raise ValueError(f"attachment_types: unknown type {sorted(unknown)[0]!r}; "
                         f"known: {', '.join(SIGNATURES)}")


def _non_negative(instance, attribute, value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


def _categories(instance, attribute, value: tuple[str, ...]) -> None:
    if not value:
        raise ValueError("categories must name at least one category")


@attrs.frozen
class FeedbackSettings:
    """What a deployment may set for complaints and suggestions.

    SLA: a ticket must be acknowledged within ``ack_working_days`` working days
    and resolved within ``resolve_days`` (calendar days unless
    ``resolve_in_working_days``); working days skip Saturday, Sunday and
    ``holidays`` (ISO dates).
    """

    categories: tuple[str, ...] = attrs.field(
        default=("service", "savings", "loans", "app", "other"), validator=_categories)
    number_pattern: str = attrs.field(default="FB-{year}-{seq:05d}", validator=_check_pattern)
    ack_working_days: int = attrs.field(default=2, validator=_non_negative)
    resolve_days: int = attrs.field(default=14, validator=_non_negative)
    resolve_in_working_days: bool = False
    holidays: tuple[str, ...] = attrs.field(default=(), validator=_check_holidays)
    identity_roles: tuple[str, ...] = ("admin",)
    max_attachment_bytes: int = attrs.field(default=5_000_000, validator=_non_negative)
    attachment_types: tuple[str, ...] = attrs.field(
        default=("pdf", "png", "jpeg", "gif", "webp"), validator=_check_types)
    attachment_dir: str = "feedback-attachments"
    staff_contacts: dict[str, str] = attrs.field(factory=dict)
    escalate_to: str | None = None
    escalation_offsets: tuple[int, ...] = (1, 3, 7)

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        """``holidays`` as dates."""
        return parse_holidays(self.holidays)
