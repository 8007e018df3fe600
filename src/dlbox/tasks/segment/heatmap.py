"""``dlbox segment heatmap``: a classification run, convolutionalized, over a larger image (notes 3.11.1).

The convolutionalized classifier evaluates the classifier on every window of
its input size, at the features' stride; the softmax over classes of each
window's logits is that window's heatmap value, drawn at the window's centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlbox.data.images import read_image
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import write_json


@torch.no_grad()
def class_heatmaps(classifier: torch.nn.Module, image: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``image (C, H, W)`` -> class probabilities ``(K, h', w')`` per window and the window stride."""
    from dlbox.models.convolutionalize import convolutionalize

    conv = convolutionalize(classifier).eval()
    h0, w0 = conv.input_size
    if image.shape[1] < h0 or image.shape[2] < w0:
        raise ValueError(
            f"the image is {image.shape[1]}x{image.shape[2]} but the classifier takes {h0}x{w0}; "
            "heatmaps need an image at least that large (use --size)"
        )
    scores = conv(image[None])[0]  # (K, h', w')
    stride = h0 // conv.map_size[0] if conv.map_size[0] else 1
    return scores.softmax(0), stride


def heatmap_image(run: str | Path, image: str | Path, out: str | Path | None = None, size: int | None = None) -> tuple[Path, dict[str, Any]]:
    """Write ``heatmaps.png`` (one panel per class over the image), ``heatmaps.npy`` and ``metrics.json``."""
    from dlbox.model_io import load_model
    from dlbox.models.classifier import Classifier

    classifier = load_model(run)
    if not isinstance(classifier, Classifier):
        raise ValueError(f"{run}: heatmaps need a classification run (a dlbox classifier), got {type(classifier).__name__}")
    meta = classifier.dlbox_meta
    x = read_image(image, meta["input"]["channels"], (size, size) if size else None)
    probs, stride = class_heatmaps(classifier, x)
    names = meta.get("class_names") or [str(i) for i in range(probs.shape[0])]
    with recorded_run("segment-heatmap", None, out) as out_dir:
        np.save(out_dir / "heatmaps.npy", probs.numpy().astype(np.float32))
        h0, w0 = (int(v) for v in meta["input"]["size"])
        _plot(x, probs, names, stride, (h0, w0), out_dir / "heatmaps.png")
        info = {
            "run": str(run), "image": str(image), "image_size": list(x.shape[1:]), "classifier_input": [h0, w0],
            "heatmap_size": list(probs.shape[1:]), "stride": stride, "class_names": names,
            "max_prob": {n: float(probs[i].max()) for i, n in enumerate(names)},
        }
        write_json(out_dir / "metrics.json", info)
        return out_dir, info


def _plot(image: torch.Tensor, probs: torch.Tensor, names: list[str], stride: int, window: tuple[int, int], path: Path) -> None:
    from dlbox.plots import _plt

    plt = _plt()
    rgb = image.permute(1, 2, 0).numpy()
    rgb = rgb[..., 0] if rgb.shape[-1] == 1 else rgb
    h, w = probs.shape[1:]
    # Window (i, j) covers rows i*stride .. i*stride + window_h: its value sits at the window's centre.
    extent = (window[1] / 2 - stride / 2, (w - 1) * stride + window[1] / 2 + stride / 2,
              (h - 1) * stride + window[0] / 2 + stride / 2, window[0] / 2 - stride / 2)
    k = len(names)
    fig, axes = plt.subplots(1, k + 1, figsize=(3 * (k + 1), 3.2), squeeze=False)
    axes[0, 0].imshow(rgb, cmap="gray" if rgb.ndim == 2 else None, vmin=0, vmax=1)
    axes[0, 0].set_title("image")
    for i, name in enumerate(names):
        ax = axes[0, i + 1]
        ax.imshow(rgb, cmap="gray" if rgb.ndim == 2 else None, vmin=0, vmax=1)
        ax.imshow(probs[i].numpy(), cmap="jet", alpha=0.5, vmin=0, vmax=1, extent=extent, interpolation="bilinear")
        ax.set_xlim(0, image.shape[2])
        ax.set_ylim(image.shape[1], 0)
        ax.set_title(f"{name} (max {float(probs[i].max()):.2f})")
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
