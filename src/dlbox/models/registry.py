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


def builder_of(name: str) -> Builder:
    """The builder registered as ``name`` (a ``KeyError`` naming the valid models if there is none)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; valid models: {', '.join(list_models())}") from None


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` with ``kwargs``.

    Raises ``KeyError`` naming the valid models when ``name`` is unknown.
    """
    builder = builder_of(name)
    try:
        model = builder(**kwargs)
    except TypeError as exc:  # a keyword the builder does not take, or a value of the wrong kind
        import inspect

        takes = ", ".join(p for p in inspect.signature(builder).parameters)
        raise ValueError(f"model {name!r} cannot be built with {_shown(kwargs)}: {exc}; its arguments are: {takes}") from None
    # Remember how the model was built so a run directory can rebuild it.
    model.dlbox_config = {"name": name, "kwargs": dict(kwargs)}  # type: ignore[attr-defined]
    return model


def _shown(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "no arguments"
