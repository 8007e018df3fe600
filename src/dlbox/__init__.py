"""dlbox: every technique of a deep-learning course as one working, tested toolkit.

The top-level names are imported lazily so ``import dlbox`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_model": ("dlbox.model_io", "load_model"),
    "create_model": ("dlbox.models", "create_model"),
    "list_models": ("dlbox.models", "list_models"),
    "summary": ("dlbox.analysis.summary", "summary"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'dlbox' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
