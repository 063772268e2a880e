"""The codec of a nested model, as the converters beneath the codec see it.

The converters (`dynamap._converters`, `dynamap._generic`) encode a model nested in a
field with that model's own codec, which `dynamap._codec` builds on top of them. So that
no module imports one above it, `dynamap._codec` registers its `compile_codec` here when
it is imported, and the converters ask this module for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel

__all__ = ["NestedCodec", "codec_of", "register"]


class NestedCodec(Protocol):
    """What a converter uses of a nested model's codec."""

    def _encode_map(self, instance: BaseModel) -> dict[str, Any]: ...

    def _read_for_validation(self, item: Mapping[str, Any]) -> dict[str, Any]: ...

    def decode(self, item: Mapping[str, Any]) -> Any: ...


_compile: Callable[[type[BaseModel]], NestedCodec] | None = None


def register(compile_codec: Callable[[type[BaseModel]], NestedCodec]) -> None:
    """Set the function that builds a model's codec (called by `dynamap._codec`)."""
    global _compile
    _compile = compile_codec


def codec_of(model: type[BaseModel]) -> NestedCodec:
    """The codec of a nested model.

    Raises:
        RuntimeError: `dynamap._codec` was never imported (it always is, by `dynamap`).
    """
    if _compile is None:
        raise RuntimeError("dynamap._codec is not imported")
    return _compile(model)
