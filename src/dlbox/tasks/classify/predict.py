"""``dlbox classify predict``: top-k classes with probabilities for image files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dlbox.data.images import read_image
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import write_json


@torch.no_grad()
def predict_images(run: str | Path, images: list[Path], top_k: int = 3, out: str | Path | None = None) -> tuple[Path, list[dict[str, Any]]]:
    from dlbox.model_io import load_model

    model = load_model(run)
    meta = model.dlbox_meta
    channels, size = meta["input"]["channels"], tuple(meta["input"]["size"])
    batch = torch.stack([read_image(p, channels, size) for p in images])  # (N, C, H, W); bad files raise naming the path
    probs = model(batch).softmax(1)
    k = min(top_k, probs.shape[1])
    top = probs.topk(k, dim=1)
    names = meta["class_names"]
    rows = [
        {"image": str(p), "top": [(names[int(c)], float(v)) for v, c in zip(top.values[i], top.indices[i])]}
        for i, p in enumerate(images)
    ]
    with recorded_run("classify-predict", None, out) as out_dir:
        write_json(out_dir / "predictions.json", rows)
        write_json(out_dir / "metrics.json", {"run": str(run), "images": len(rows)})
        return out_dir, rows
