"""dyncrm: a plugin-based CRM framework for member-owned organisations.

Plugins implement the hooks of :mod:`dyncrm.hookspecs` with ``@hookimpl``::

    from dyncrm import hookimpl

    @hookimpl
    def dyncrm_acquire_member_joined(crm, member, actor):
        ...
"""

from __future__ import annotations

from importlib import metadata

from dyncrm.app import CRM, Action, open_crm
from dyncrm.errors import (
    ConfigError,
    CurrencyMismatchError,
    DuplicateError,
    DyncrmError,
    IllegalTransition,
    NotFoundError,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from dyncrm.hookspecs import hookimpl, hookspec
from dyncrm.lifecycle import StateMachine
from dyncrm.money import Money, allocate, parse_money
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Actor, DueItem, Leg, MemberInfo, Permission, Product

__all__ = [
    "CRM",
    "Action",
    "Actor",
    "ConfigError",
    "CurrencyMismatchError",
    "DueItem",
    "DuplicateError",
    "DyncrmError",
    "IllegalTransition",
    "Leg",
    "MemberInfo",
    "Money",
    "NotFoundError",
    "Permission",
    "PermissionDenied",
    "PluginError",
    "PluginSpec",
    "Product",
    "StateMachine",
    "ValidationError",
    "__version__",
    "allocate",
    "hookimpl",
    "hookspec",
    "open_crm",
    "parse_money",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        return metadata.version("dyncrm")
    raise AttributeError(name)
