"""Reading weights files safely: tensors only, nothing unpickled beyond what ``weights_only=True`` allows."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch


def load_state_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors from a ``.safetensors`` file or a ``torch.save`` file (``weights_only=True``).

    A file that is neither (a pickle of arbitrary objects, a truncated or fake file) is a ``ValueError``
    naming the file, never a traceback from deep inside the loader.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ValueError(f"weights file {path} is not a valid .safetensors file ({exc})") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0].split(". ")[0]
        raise ValueError(
            f"weights file {path} is not a state dict dlbox can load safely (tensors only, weights_only=True): {reason}"
        ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"weights file {path} does not hold a state dict (a mapping of names to tensors)")
    return state
