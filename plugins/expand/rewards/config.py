"""Settings of ``expand.rewards``: earning rules, tiers and the catalogue.

A deployment writes them under ``[plugins."expand.rewards"]``, e.g.::

    [plugins."expand.rewards".rules]
    on_time_installment = 10     # per installment paid in full by its due date
    wajib_full_year = 100        # every simpanan wajib month of a year paid on time
    referral = 50                # to the referrer when the referred applicant joins
    anniversary = 25             # every year of membership ...
    milestones = { "5" = 100, "10" = 250 }   # ... plus these at round years

    [[plugins."expand.rewards".tiers]]
    name = "Silver"
    min_points = 500
    min_years = 3

    [plugins."expand.rewards".catalogue.payung]
    name = "Umbrella with the cooperative's logo"
    points = 150
    stock = 40

A rule set to 0 is switched off.  Points are whole numbers.
"""

from __future__ import annotations

import attrs


def _not_negative(instance, attribute, value) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


def _positive(instance, attribute, value) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be above zero, not {value}")


def _milestones(instance, attribute, value) -> None:
    for years, points in value.items():
        if not years.isdigit() or int(years) < 1:
            raise ValueError(f"milestones: {years!r} is not a number of years")
        if points < 0:
            raise ValueError(f"milestones.{years} must not be negative")


@attrs.frozen
class RewardRules:
    """Points per triggering event; 0 switches a rule off."""

    on_time_installment: int = attrs.field(default=10, validator=_not_negative)
    wajib_full_year: int = attrs.field(default=100, validator=_not_negative)
    referral: int = attrs.field(default=50, validator=_not_negative)
    anniversary: int = attrs.field(default=25, validator=_not_negative)
    milestones: dict[str, int] = attrs.field(factory=dict, validator=_milestones)
    #: an anniversary missed by the daily job is still awarded this many days later
    anniversary_catch_up_days: int = attrs.field(default=31, validator=_not_negative)

    def anniversary_points(self, years: int) -> int:
        """Points for completing ``years`` years of membership."""
        return self.anniversary + self.milestones.get(str(years), 0)


@attrs.frozen
class Tier:
    """A tier reached by lifetime points earned *or* by years of membership."""

    name: str
    min_points: int | None = attrs.field(default=None, validator=_not_negative)
    min_years: int | None = attrs.field(default=None, validator=_not_negative)

    def reached(self, earned: int, years: int) -> bool:
        """True when ``earned`` points or ``years`` of membership qualify."""
        if self.min_points is None and self.min_years is None:
            return True
        return (self.min_points is not None and earned >= self.min_points) or (
            self.min_years is not None and years >= self.min_years)


DEFAULT_TIERS = (
    Tier("Bronze", min_points=0),
    Tier("Silver", min_points=500, min_years=3),
    Tier("Gold", min_points=2000, min_years=10),
)


@attrs.frozen
class CatalogueItem:
    """Something members can redeem points for; ``stock`` is the initial quantity."""

    name: str
    points: int = attrs.field(validator=_positive)
    stock: int = attrs.field(default=0, validator=_not_negative)
    description: str = ""


def _tiers(instance, attribute, value) -> None:
    if not value:
        raise ValueError("tiers needs at least one tier")
    names = [t.name for t in value]
    if len(set(names)) != len(names):
        raise ValueError("tier names must differ")


@attrs.frozen
class RewardsSettings:
    """Everything ``expand.rewards`` reads from the configuration."""

    rules: RewardRules = RewardRules()
    #: lowest first; a member is in the last tier they reach
    tiers: tuple[Tier, ...] = attrs.field(default=DEFAULT_TIERS, validator=_tiers)
    catalogue: dict[str, CatalogueItem] = attrs.field(factory=dict)
