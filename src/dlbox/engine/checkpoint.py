"""Checkpoints that survive a kill at any moment and resume exactly.

Fabric writes the state (it knows how to gather DDP/FSDP modules); the file
goes to a temporary name first and is renamed over the old one after an
fsync, so ``last.ckpt`` is always either the previous or the new complete
checkpoint. RNG states travel with it so a resumed run draws the same random
numbers (dropout, augmentation) as an uninterrupted one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import torch

from dlbox.engine.rundir import _fsync_dir


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(_as_tuple(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(obj: Any) -> Any:
    # random.setstate needs tuples; serialisation may hand back lists.
    return tuple(_as_tuple(o) for o in obj) if isinstance(obj, (list, tuple)) else obj


def save_checkpoint(fabric: Any, path: str | Path, state: dict[str, Any]) -> None:
    """Atomically write ``state`` (modules, optimizers and plain values) to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fabric.save(tmp, state)
    fabric.barrier()
    if fabric.global_rank == 0:
        if tmp.is_file():
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    fabric.barrier()


def load_checkpoint(fabric: Any, path: str | Path, state: dict[str, Any]) -> dict[str, Any]:
    """Restore modules/optimizers in ``state`` in place; return the remaining values."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    return fabric.load(path, state, weights_only=True)
