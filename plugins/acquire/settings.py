"""Configuration sections of the acquire plugins (``[plugins."acquire.*"]``).

Each is a frozen attrs class that the core fills from the deployment's TOML
(unknown keys and wrong types are refused with the file and key named).
"""

from __future__ import annotations

import string

import attrs

#: Fields an application may carry, in the order forms show them.
APPLICATION_FIELDS = (
    "full_name", "nik", "employee_number", "department", "email", "mobile", "address",
    "date_of_birth", "employment_status", "employment_start", "take_home_pay",
    "referral_code", "promotion",
)
DEFAULT_REQUIRED = ("full_name", "nik", "employee_number", "department", "email", "mobile",
                    "address", "date_of_birth")
ALWAYS_REQUIRED = ("full_name", "nik")
PATTERN_FIELDS = {"year", "month", "seq"}


def _check_pattern(_instance, _attribute, value: str) -> None:
    names = set()
    try:
        for _, name, _, _ in string.Formatter().parse(value):
            if name is not None:
                names.add(name)
        value.format(year=2026, month=1, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"number_pattern {value!r} is not a valid pattern: {exc}") from None
    unknown = names - PATTERN_FIELDS
    if unknown:
        raise ValueError(f"number_pattern may use {{year}}, {{month}} and {{seq}}, "
                         f"not {{{sorted(unknown)[0]}}}")
    if "seq" not in names:
        raise ValueError("number_pattern must contain {seq} (e.g. \"XYZ-{year}-{seq:05d}\")")


def _check_required(_instance, _attribute, value: tuple[str, ...]) -> None:
    unknown = [f for f in value if f not in APPLICATION_FIELDS]
    if unknown:
        raise ValueError(f"required_fields names unknown field {unknown[0]!r}; fields: "
                         f"{', '.join(APPLICATION_FIELDS)}")


def _one_of(*allowed: str):
    def check(_instance, attribute, value) -> None:
        if value not in allowed:
            raise ValueError(f"{attribute.name} must be one of {', '.join(allowed)}, "
                             f"not {value!r}")
    return check


def _positive(_instance, attribute, value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} cannot be negative")


@attrs.frozen
class RegistrationSettings:
    """``[plugins."acquire.registration"]``: applications and member numbers."""

    #: Member numbers: ``{year}``, ``{month}`` (of approval) and ``{seq}`` (the sequence).
    number_pattern: str = attrs.field(default="{year}-{seq:05d}", validator=_check_pattern)
    #: ``global``: one sequence forever; ``yearly``: a sequence per year (pattern needs {year}).
    sequence: str = attrs.field(default="global", validator=_one_of("global", "yearly"))
    required_fields: tuple[str, ...] = attrs.field(default=DEFAULT_REQUIRED,
                                                   validator=_check_required)
    #: When not empty, the department must be one of these.
    departments: tuple[str, ...] = ()
    employment_statuses: tuple[str, ...] = ("permanent", "contract", "probation", "other")
    #: Built-in rule: only these employment statuses may join (empty: any).
    eligible_employment_statuses: tuple[str, ...] = ()
    #: Built-in rule: months of service needed to join (0: no rule).
    min_service_months: int = attrs.field(default=0, validator=_positive)
    min_age: int = attrs.field(default=17, validator=_positive)
    #: The one who verified an application may not also approve it.
    separate_duties: bool = True
    activation_days: int = attrs.field(default=14, validator=_positive)
    #: Where members choose their password; the welcome message links to it with the token.
    activation_url: str = ""
    #: Login names of new members: their member ``number`` or their ``email``.
    username: str = attrs.field(default="number", validator=_one_of("number", "email"))

    def __attrs_post_init__(self) -> None:
        if self.sequence == "yearly" and "{year" not in self.number_pattern:
            raise ValueError("a yearly sequence needs {year} in number_pattern, or numbers "
                             "would repeat")


@attrs.frozen
class CardLabels:
    """Texts printed on the card; unset ones follow the organisation's locale."""

    title: str | None = None
    number: str | None = None
    name: str | None = None
    employee_number: str | None = None
    department: str | None = None
    joined: str | None = None
    status: str | None = None
    active: str | None = None
    leaving: str | None = None
    scan_hint: str | None = None


@attrs.frozen
class CardSettings:
    """``[plugins."acquire.member_card"]``: signing key, logo, colours and labels."""

    #: Key that signs the QR code (at least 16 characters; use {"$env" = "NAME"}).
    secret: str | None = None
    #: PNG or JPEG printed in the card's header (path relative to the config file).
    logo: str | None = None
    #: Header colour, ``#RRGGBB``.
    color: str = "#1F4E79"
    labels: CardLabels = CardLabels()
    #: Resolution of ``--png`` output.
    png_dpi: int = 300

    def __attrs_post_init__(self) -> None:
        from dyncrm.config import MissingSecret

        if (self.secret is not None and not isinstance(self.secret, MissingSecret)
                and len(self.secret) < 16):
            raise ValueError("secret must be at least 16 characters long")
        color = self.color.lstrip("#")
        if len(color) != 6 or any(c not in string.hexdigits for c in color):
            raise ValueError(f"color must look like #1F4E79, not {self.color!r}")
        if not 72 <= self.png_dpi <= 1200:
            raise ValueError("png_dpi must be between 72 and 1200")


@attrs.frozen
class ProductSetting:
    """An offer declared in the config file."""

    code: str
    name: str
    kind: str = "other"
    description: str = ""


@attrs.frozen
class PromotionSettings:
    """``[plugins."acquire.promotion"]``: offers that are not savings or loan products."""

    products: tuple[ProductSetting, ...] = ()
    #: Channels used when a promotion names none and the member has no preference.
    default_channels: tuple[str, ...] = ()
    #: Milliseconds one filling-in of a promotion text may take (tried in a child
    #: process at ``promo add``; counted in-process when pushing).
    render_timeout_ms: int = 2000
    #: Megabytes the trial at ``promo add`` may allocate.
    render_memory_mb: int = 256
    #: Characters of one promotion message (and of any value built while filling it in).
    max_message_chars: int = 65_536

    def __attrs_post_init__(self) -> None:
        if not 100 <= self.render_timeout_ms <= 60_000:
            raise ValueError("render_timeout_ms must be between 100 and 60000")
        if not 32 <= self.render_memory_mb <= 4096:
            raise ValueError("render_memory_mb must be between 32 and 4096")
        if not 1_000 <= self.max_message_chars <= 1_000_000:
            raise ValueError("max_message_chars must be between 1000 and 1000000")
