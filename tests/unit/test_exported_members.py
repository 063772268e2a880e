"""`dynamap.__all__` is sorted and names exactly the public names the package exports."""

from __future__ import annotations

import types

import dynamap


def isort_key(name: str) -> tuple[int, str]:
    """The order the file uses (isort's, as ruff's RUF022 checks it): CONSTANTS first,
    then Classes, then everything else, each group case-sensitively."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert dynamap.__all__ == sorted(dynamap.__all__, key=isort_key)
    assert len(set(dynamap.__all__)) == len(dynamap.__all__)


def test_all_names_exactly_the_public_members() -> None:
    public = {
        name for name, value in vars(dynamap).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(dynamap.__all__) == public


def test_every_exported_member_is_documented() -> None:
    for name in dynamap.__all__:
        member = getattr(dynamap, name)
        if isinstance(member, type) or callable(member):
            assert member.__doc__, name
