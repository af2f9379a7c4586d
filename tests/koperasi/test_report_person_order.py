"""The laporan simpanan orders members as every report does (``person_order``: member
numbers in natural order, then applicants by id), also through its shortcut that sorts
numbers of one shape as plain text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from koperasi_xyz.reports.builders import _in_person_order, person_order


def _reference(numbers: dict[int, str]) -> list[int]:
    return sorted(numbers, key=lambda m: person_order(m, _Person(numbers[m])))


class _Person:
    def __init__(self, number: str) -> None:
        self.number = number


def test_one_shape_and_mixed_shapes() -> None:
    same = {1: "B-000010", 2: "B-000002", 3: "", 4: "B-000001", 5: ""}
    assert _in_person_order(same, same) == [4, 2, 1, 3, 5] == _reference(same)
    mixed = {1: "XYZ-2025-10", 2: "XYZ-2025-9", 3: "xyz-2025-11", 4: "A-1", 7: ""}
    assert _in_person_order(mixed, mixed) == [4, 2, 1, 3, 7] == _reference(mixed)


_NUMBER = st.one_of(
    st.just(""),
    st.from_regex(r"[A-Za-z_]{1,2}-[0-9]{1,3}", fullmatch=True),
    st.from_regex(r"B-[0-9]{3}", fullmatch=True),
    st.text(alphabet="aB_-09٣", max_size=4))


@given(st.dictionaries(st.integers(1, 10_000), _NUMBER, max_size=30))
def test_the_same_order_as_person_order(numbers: dict[int, str]) -> None:
    assert _in_person_order(numbers, numbers) == _reference(numbers)
