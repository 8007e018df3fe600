"""NumPy in, NumPy out; torch in, torch out: the one array conversion the formula functions share.

The formulas compute in NumPy. :func:`numpy_or_torch` lets a formula take torch tensors too
(``nn.Conv2d(...).weight`` included: gradients are detached, any device): tensors become NumPy
arrays on the CPU, and when any argument was a tensor the result comes back as tensors on the
first tensor's device, floating results in its floating dtype. Results carry no autograd history.
Torch is never imported here: a tensor can only exist if the caller already imported it.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


def numpy_or_torch(fn: F) -> F:
    """Decorate a NumPy formula so that torch tensors in (anywhere in its arguments) give torch tensors out."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        like = _first_tensor((args, kwargs))
        if like is None:
            return fn(*args, **kwargs)
        result = fn(*_to_numpy(args), **_to_numpy(kwargs))
        return _to_torch(result, like)

    return wrapper  # type: ignore[return-value]


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _first_tensor(value: Any) -> Any:
    """The first torch tensor inside ``value`` (tuples, lists, dicts and dataclasses are searched), else ``None``."""
    if _is_tensor(value):
        return value
    for item in _children(value):
        found = _first_tensor(item)
        if found is not None:
            return found
    return None


def _children(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    return []


def _to_numpy(value: Any) -> Any:
    if _is_tensor(value):
        tensor = value.detach().cpu()
        if tensor.is_floating_point() and tensor.dtype.itemsize < 4:  # float16/bfloat16: compute in float32
            tensor = tensor.float()
        return tensor.numpy()
    return _map(value, _to_numpy)


def _to_torch(value: Any, like: Any) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        import torch

        array = np.array(value, copy=True) if not isinstance(value, np.ndarray) or not value.flags.writeable else value
        tensor = torch.from_numpy(np.ascontiguousarray(array)).to(like.device)
        if tensor.is_floating_point() and like.is_floating_point():
            tensor = tensor.to(like.dtype)
        return tensor
    return _map(value, lambda item: _to_torch(item, like))


def _map(value: Any, convert: Callable[[Any], Any]) -> Any:
    """``value`` with ``convert`` applied to each item of a tuple, list, dict or dataclass; anything else unchanged."""
    if isinstance(value, (list, tuple)):
        return type(value)(convert(item) for item in value)
    if isinstance(value, dict):
        return {key: convert(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value
