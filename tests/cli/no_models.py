"""A module without any dynamap model (the base class alone does not count)."""

from dynamap import Model

__all__ = ["Model", "helper"]


def helper() -> int:
    return 1
