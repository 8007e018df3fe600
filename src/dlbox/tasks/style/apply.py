"""``dlbox style apply``: stylise images with a trained transformation network, one forward pass each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

TRANSFORMER = "style_transformer"


@dataclass
class ApplyConfig:
    """``dlbox style apply``."""

    name: str | None = None
    out: str | None = None
    run: str | None = None  # a finished `dlbox style train` run directory
    images: list[str] = field(default_factory=list)  # image files or sample:NAME
    size: int | None = None  # longer side to resize each image to (default: its own size)
    accelerator: str = "cpu"  # cpu | cuda | mps | auto


def load_style_network(run: str | Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """The trained transformation network of a ``dlbox style train`` run."""
    from dlbox.model_io import load_model, read_model_json

    name = read_model_json(run).get("name")
    if name != TRANSFORMER:
        raise ValueError(f"{run} is not a style-transfer run (its model is {name!r}, not {TRANSFORMER!r}); train one with `dlbox style train`")
    return load_model(run, device)


@torch.no_grad()
def stylize_images(net: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """``(C, H, W)`` or ``(B, C, H, W)`` in [0, 1] -> stylised, same shape (on the CPU)."""
    single = image.ndim == 3
    device = next(net.parameters()).device
    out = net(image.unsqueeze(0).to(device) if single else image.to(device)).cpu()
    return out[0] if single else out


def apply_style(run: str | Path, images: list[str], out: str | Path | None = None, max_side: int | None = None, name: str | None = None,
                accelerator: str = "cpu") -> tuple[Path, list[dict[str, Any]]]:
    """Stylise each image (``sample:NAME`` or a file) at its own size (or ``max_side``); writes PNGs, a gallery, metrics."""
    from dlbox.data.samples import image_label, load_image
    from dlbox.engine.run_record import recorded_run
    from dlbox.tasks.input_run import finish_run, resolve_accelerator, save_gallery, save_png

    if not images:
        raise ValueError("no images given")
    net = load_style_network(run, resolve_accelerator(accelerator))
    inputs = [load_image(spec, 3, max_side=max_side) for spec in images]  # a bad file fails before the run dir exists
    with recorded_run("style-apply", name, out) as out_dir:
        rows, shown = [], []
        used: set[str] = set()
        for spec, x in zip(images, inputs):
            t0 = time.perf_counter()
            y = stylize_images(net, x)
            seconds = time.perf_counter() - t0
            label = image_label(spec)
            while label in used:
                label += "_"
            used.add(label)
            path = save_png(y, out_dir / f"{label}-stylised.png")
            rows.append({"image": str(spec), "output": str(path), "size": list(x.shape[-2:]), "seconds": round(seconds, 5)})
            shown += [x, y]
        save_gallery(shown[:16], [t for r in rows[:8] for t in (Path(r["image"]).name, "stylised")], out_dir / "gallery.png", cols=4)
        finish_run(out_dir, {"run": str(run), "images": len(rows), "seconds_per_image": sum(r["seconds"] for r in rows) / len(rows), "outputs": rows})
        return out_dir, rows


def run_apply(cfg: ApplyConfig) -> Path:
    """``dlbox style apply``: :func:`apply_style` with ``cfg``'s settings; returns the complete run directory."""
    if not cfg.run:
        raise ValueError("--run is required: a finished `dlbox style train` run directory")
    return apply_style(cfg.run, list(cfg.images), cfg.out, cfg.size, cfg.name, cfg.accelerator)[0]
