"""Model registry: names map to thin builder functions.

A builder takes keyword arguments only and returns a plain ``nn.Module``. The
pair ``(name, kwargs)`` is the model's JSON config: it is saved with every run
so :func:`create_model` can rebuild the same architecture later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.nn as nn

Builder = Callable[..., nn.Module]

_REGISTRY: dict[str, Builder] = {}


def register_model(name: str) -> Callable[[Builder], Builder]:
    """Decorator registering ``builder`` under ``name``; a duplicate name is an error."""

    def decorator(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered (by {_REGISTRY[name].__module__})")
        _REGISTRY[name] = builder
        return builder

    return decorator


def list_models() -> list[str]:
    """Sorted names of every registered model."""
    return sorted(_REGISTRY)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` with ``kwargs``.

    Raises ``KeyError`` naming the valid models when ``name`` is unknown.
    """
    try:
        builder = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; valid models: {', '.join(list_models())}") from None
    model = builder(**kwargs)
    # Remember how the model was built so a run directory can rebuild it.
    model.dlbox_config = {"name": name, "kwargs": dict(kwargs)}  # type: ignore[attr-defined]
    return model
