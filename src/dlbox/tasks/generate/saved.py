"""A finished ``dlbox generate train`` run, reopened: its model, options, levels and (on demand) its data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import torch.nn as nn

from dlbox.data import DataBundle
from dlbox.tasks.generate.config import GenerateConfig, GenerateOptions


@dataclass
class SavedRun:
    path: Path
    cfg: GenerateConfig
    model: nn.Module  # the saved (EMA when trained with it) weights, in eval mode
    meta: dict[str, Any]

    @property
    def options(self) -> GenerateOptions:
        return self.cfg.generate

    @property
    def levels(self) -> int:
        return int(self.meta["levels"])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return int(self.meta["input"]["channels"]), *map(int, self.meta["input"]["size"])  # type: ignore[return-value]

    @cached_property
    def bundle(self) -> DataBundle:
        """The run's dataset and split, as it trained on them."""
        from dlbox.tasks.generate.data import load_generative_data

        return load_generative_data(self.cfg.data)

    def with_options(self, **changes: Any) -> SavedRun:
        """The same run with some ``generate`` options changed (the given ones that are not None)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        cfg = dataclasses.replace(self.cfg, generate=dataclasses.replace(self.cfg.generate, **changes))
        return dataclasses.replace(self, cfg=cfg)


def load_generate_run(run: str | Path, device: str = "cpu") -> SavedRun:
    """Reopen a finished generate run; anything else is an error naming the directory."""
    from dlbox.config import from_dict, load_yaml
    from dlbox.engine.rundir import require_run_dir
    from dlbox.model_io import load_model, read_model_json

    path = require_run_dir(run, ("model.json", "model.safetensors", "config.yaml"))
    meta = read_model_json(path)
    if meta.get("task") != "generate" or "kind" not in meta:
        raise ValueError(f"--run {path} is a dlbox {meta.get('task', 'unknown')} run, not a `dlbox generate train` run")
    cfg = from_dict(GenerateConfig, load_yaml(path / "config.yaml"))
    model = load_model(path, device)
    saved = SavedRun(path, cfg, model, model.dlbox_meta)
    if cfg.generate.kind == "vae" and getattr(model, "prior_components", 0) == 0:
        # trained without a mixture prior (prior_components 0, or before there was one): N(0, I) is all it has
        saved = saved.with_options(prior="standard", prior_components=0)
    return saved
