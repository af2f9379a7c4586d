"""Quorum: approvals count people, once each, and roles need distinct people to cover them."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from dyncrm.quorum import QuorumRule, _cover, merge

ROLE = st.sampled_from(["treasurer", "admin", "credit_committee", "secretary"])


def brute_force(required: tuple[str, ...], people: list[set[str]]) -> int:
    """The most required roles distinct people can cover, by trying every assignment."""
    best = 0
    for k in range(len(required), 0, -1):
        for roles in itertools.combinations(required, k):
            for chosen in itertools.permutations(range(len(people)), k):
                if all(role in people[p] for role, p in zip(roles, chosen, strict=True)):
                    return k
    return best


@given(st.lists(ROLE, unique=True, max_size=3),
       st.lists(st.sets(ROLE, max_size=3), max_size=4))
def test_roles_are_covered_by_distinct_people(required, people) -> None:
    covered = _cover(tuple(required), people)
    assert covered <= set(required)
    assert len(covered) == brute_force(tuple(required), people)


def test_one_person_holding_two_roles_covers_only_one() -> None:
    assert len(_cover(("treasurer", "admin"), [{"treasurer", "admin"}])) == 1
    assert _cover(("treasurer", "admin"), [{"treasurer", "admin"}, {"admin"}]) == {
        "treasurer", "admin"}


@given(st.lists(st.builds(QuorumRule, approvals=st.integers(1, 9),
                          roles=st.lists(ROLE, unique=True, max_size=3).map(tuple)),
                min_size=1, max_size=4))
def test_merged_rules_are_as_strict_as_each(rules) -> None:
    merged = merge(rules)
    for rule in rules:
        assert merged.needed() >= rule.needed()
        assert set(rule.roles) <= set(merged.roles)
