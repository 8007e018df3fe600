"""Saving a trained model into a run directory and rebuilding it from one.

A run directory holds ``model.json`` (the registry name and kwargs, the class
names and the input shape) and ``model.safetensors`` (the weights). Nothing is
unpickled: safetensors carries only tensors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.engine.rundir import require_run_dir, write_json
from dlbox.models.weights import load_state_file  # noqa: F401  (re-exported: dlbox.model_io.load_state_file)


def model_config(model: nn.Module) -> dict[str, Any]:
    cfg = getattr(model, "dlbox_config", None)
    if cfg is None:
        raise ValueError("model was not built by dlbox.models.create_model; its config is unknown")
    return cfg


def save_model(run_dir: str | Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """Write ``model.safetensors`` and ``model.json`` (= registry config + ``meta``)."""
    from safetensors.torch import save_file

    run_dir = Path(run_dir)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = run_dir / ".model.safetensors.tmp"
    save_file(state, str(tmp))
    tmp.replace(run_dir / "model.safetensors")
    write_json(run_dir / "model.json", {**model_config(model), **meta})


def read_model_json(run_dir: str | Path) -> dict[str, Any]:
    path = require_run_dir(run_dir) / "model.json"
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None


def load_model(run_dir: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model a run trained, with its final weights, in eval mode.

    The returned module has ``dlbox_meta`` (class names, input shape) attached.
    """
    from dlbox.models import create_model

    cfg = read_model_json(run_dir)
    model = create_model(cfg["name"], **cfg["kwargs"])
    state = load_state_file(Path(run_dir) / "model.safetensors")
    model.load_state_dict(state)
    model.dlbox_meta = {k: v for k, v in cfg.items() if k not in ("name", "kwargs")}  # type: ignore[attr-defined]
    return model.to(device).eval()
