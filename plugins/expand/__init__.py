"""Expand plugins: how a member's relationship with the cooperative grows.

Four plugins, enabled by name in ``dyncrm.toml``: ``expand.savings`` (simpanan
pokok, wajib and sukarela), ``expand.loans`` (applications, credit-committee
decisions, schedules and repayments), ``expand.rewards`` (participation points)
and ``expand.deactivation`` (leaving the cooperative with a settlement).
Every balance they show is derived from the core's double-entry ledger.
"""
