"""Click parameter types for what commands take: amounts, rates, percentages,
terms and counts, dates.

Each type calls the one library function that also serves forms
(:func:`dyncrm.money.parse_money`, :func:`~dyncrm.money.parse_rate`,
:func:`~dyncrm.money.parse_percent`, :func:`dyncrm.inputs.parse_count`,
:func:`~dyncrm.inputs.parse_date`), so a command and a form refuse the same
input with the same sentence.  A refusal is a
:class:`~dyncrm.errors.ValidationError` naming the parameter: the CLI prints
it and exits 1, before anything is opened for writing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import click

from dyncrm import inputs
from dyncrm.money import Money, parse_amount, parse_percent, parse_rate


def _field(param: click.Parameter | None, default: str) -> str:
    """The name a person typed: ``date`` for ``--date``, ``amount`` for AMOUNT."""
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len).lstrip("-").replace("-", "_")
    return param.name if param is not None and param.name else default


def _crm(ctx: click.Context | None) -> Any:
    obj = ctx.find_root().obj if ctx is not None else None
    return getattr(obj, "crm", None) if obj is not None else None


class AmountType(click.ParamType):
    """An amount of the deployment's currency (``Rp 50.000,-``, ``1.250.000``): a ``Money``.

    Within the deployment it is checked by ``crm.money`` (storable, at most
    ``[organisation] max_amount``); without one (no context) the typed number is
    returned as a ``Decimal`` after :func:`~dyncrm.money.parse_amount`.
    """

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Money | Decimal:
        if isinstance(value, Money):
            return value
        field = _field(param, "amount")
        crm = _crm(ctx)
        if crm is None:
            return parse_amount(str(value), field=field)
        return crm.money(value, field=field)


class PercentType(click.ParamType):
    """A percentage (``12``, ``12%``, ``1,5``) from 0 to ``maximum``: a ``Decimal``."""

    name = "percent"

    def __init__(self, maximum: Decimal = Decimal(100)) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Decimal:
        return parse_percent(value, field=_field(param, "percent"), maximum=self.maximum)


class RateType(click.ParamType):
    """An interest rate in percent per period (see :func:`dyncrm.money.parse_rate`)."""

    name = "rate"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Decimal:
        return parse_rate(value, field=_field(param, "rate"))


class CountType(click.ParamType):
    """A whole number from ``minimum`` to ``maximum`` (ASCII digits)."""

    name = "integer"

    def __init__(self, minimum: int = 0, maximum: int = 10**9) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        return inputs.parse_count(value, field=_field(param, "number"), minimum=self.minimum,
                                  maximum=self.maximum)


class DateType(click.ParamType):
    """A date (``YYYY-MM-DD``) plausible for its ``kind``: ``business``, ``past`` or ``birth``.

    Bounds count from the deployment's today when a deployment is open,
    else from the machine's date.
    """

    name = "date"

    def __init__(self, kind: str = "business") -> None:
        inputs.date_bounds(kind, dt.date.today())  # refuses unknown kinds early
        self.kind = kind

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value.date()
        return inputs.parse_date(value, field=_field(param, "date"), kind=self.kind,
                                 today=_today(ctx))


def _today(ctx: click.Context | None) -> dt.date:
    obj = ctx.find_root().obj if ctx is not None else None
    crm = getattr(obj, "_crm", None)
    return crm.today() if crm is not None else dt.date.today()


AMOUNT = AmountType()
RATE = RateType()
PERCENT = PercentType()
TERM = CountType(1, inputs.MAX_TERM_MONTHS)
COUNT = CountType(1, 10**9)
YEAR = CountType(1900, 2200)
DATE = DateType("business")
PAST_DATE = DateType("past")
BIRTH_DATE = DateType("birth")

__all__ = ["AMOUNT", "BIRTH_DATE", "COUNT", "DATE", "PAST_DATE", "PERCENT", "RATE", "TERM",
           "YEAR", "AmountType", "CountType", "DateType", "PercentType", "RateType"]
