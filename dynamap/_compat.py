"""The only module that imports pydantic internals.

dynamap's metaclass must extend pydantic's, which pydantic does not export publicly.
Keeping the import here means a pydantic upgrade that moves it breaks one line.
"""

from __future__ import annotations

from pydantic._internal._model_construction import ModelMetaclass

__all__ = ["ModelMetaclass"]
