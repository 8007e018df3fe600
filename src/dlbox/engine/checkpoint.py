"""Checkpoints that survive a kill at any moment and resume exactly.

Fabric writes the state (it knows how to gather DDP/FSDP modules); the file
goes to a temporary name first and is renamed over the old one after an
fsync, so ``last.ckpt`` is always either the previous or the new complete
checkpoint. RNG states travel with it so a resumed run draws the same random
numbers (dropout, augmentation) as an uninterrupted one.
"""

from __future__ import annotations

import copy
import os
import random
import threading
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


def _snapshot(value: Any) -> Any:
    """A detached CPU copy of a checkpoint value (training goes on mutating the originals)."""
    if hasattr(value, "state_dict") and callable(value.state_dict):
        value = value.state_dict()
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    return copy.deepcopy(value)


def _write_atomically(state: dict[str, Any], paths: list[Path]) -> None:
    """Serialise once to the first path; further paths (``best`` beside ``last``) become hard links to it.

    Every path is replaced by a rename, so a later ``last.ckpt`` (a new file) leaves ``best.ckpt`` untouched.
    """
    first = paths[0]
    first.parent.mkdir(parents=True, exist_ok=True)
    tmp = first.with_name(f".{first.name}.tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    for path in paths[1:]:
        link = path.with_name(f".{path.name}.tmp")
        link.unlink(missing_ok=True)
        try:
            os.link(tmp, link)
        except OSError:  # a filesystem without hard links: copy
            import shutil

            shutil.copyfile(tmp, link)
        os.replace(link, path)
    os.replace(tmp, first)
    _fsync_dir(first.parent)


class CheckpointWriter:
    """Writes checkpoints off the training thread when there is one process.

    The state is copied to CPU at once (so it is exactly the state at that
    step), then a background thread serialises it, fsyncs and renames it into
    place while training continues. At most one write is in flight: the next
    save waits for the previous one, and :meth:`wait` is called before the loop
    returns. A kill during a write loses only that write, exactly as a kill
    during a synchronous save would. With several processes (DDP/FSDP) saving
    goes through ``fabric.save`` synchronously, as Fabric must gather shards.
    """

    def __init__(self, fabric: Any):
        self.fabric = fabric
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def save(self, state: dict[str, Any], paths: list[Path]) -> None:
        if self.fabric.world_size > 1:
            for path in paths:
                save_checkpoint(self.fabric, path, state)
            return
        snapshot = _snapshot(state)
        self.wait()
        self._thread = threading.Thread(target=self._run, args=(snapshot, paths), daemon=False)
        self._thread.start()

    def _run(self, snapshot: dict[str, Any], paths: list[Path]) -> None:
        try:
            _write_atomically(snapshot, paths)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the training thread by wait()
            self._error = exc

    def wait(self) -> None:
        """Block until the write in flight (if any) is on disk; re-raise its error."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
