"""Pictures of detections: labelled boxes on one image (PIL) and a grid of images with true and predicted boxes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

#: One colour per class (cycled), as RGB 0-255.
PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230), (128, 128, 0)]


def annotate(image: Tensor, boxes: Tensor, scores: Tensor, labels: Tensor, class_names: Sequence[str]) -> "Image.Image":  # noqa: F821
    """``image (C, H, W)`` in [0, 1] with ``boxes (K, 4)`` xyxy pixels drawn and labelled ``name score``."""
    from PIL import Image, ImageDraw

    pixels = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    im = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).convert("RGB")
    draw = ImageDraw.Draw(im)
    width = max(1, round(max(im.size) / 200))
    for (x1, y1, x2, y2), s, c in zip(boxes.tolist(), scores.tolist(), labels.tolist()):
        colour = PALETTE[int(c) % len(PALETTE)]
        draw.rectangle([x1, y1, max(x1, x2 - 1), max(y1, y2 - 1)], outline=colour, width=width)
        text = f"{class_names[int(c)]} {s:.2f}"
        left, top, right, bottom = draw.textbbox((x1, y1), text)
        y = y1 - (bottom - top) - 2 if y1 - (bottom - top) - 2 >= 0 else y1
        draw.rectangle([x1, y, x1 + right - left + 2, y + bottom - top + 2], fill=colour)
        draw.text((x1 + 1, y), text, fill=(255, 255, 255))
    return im


def plot_boxes_grid(images: Tensor, true_boxes: Sequence[Tensor], true_labels: Sequence[Tensor],
                    pred: Sequence[tuple[Tensor, Tensor, Tensor]], class_names: Sequence[str], titles: Sequence[str],
                    path: str | Path, cols: int = 4) -> None:
    """Each image with its true boxes (dashed white) and predictions (solid, coloured by class, with scores)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n = len(images)
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, tb, tl, (pb, ps, pl), title in zip(axes.flat, images, true_boxes, true_labels, pred, titles):
        arr = img.permute(1, 2, 0).numpy()
        ax.imshow(arr.squeeze(-1) if arr.shape[-1] == 1 else arr, cmap="gray" if arr.shape[-1] == 1 else None, vmin=0, vmax=1)
        for (x1, y1, x2, y2), c in zip(tb.tolist(), tl.tolist()):
            ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec="white", ls="--", lw=1.2))
            ax.text(x1, y2, class_names[int(c)], color="white", fontsize=6, va="top")
        for (x1, y1, x2, y2), s, c in zip(pb.tolist(), ps.tolist(), pl.tolist()):
            colour = np.asarray(PALETTE[int(c) % len(PALETTE)]) / 255
            ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec=colour, lw=1.5))
            ax.text(x1, y1, f"{class_names[int(c)]} {s:.2f}", color="white", fontsize=6, va="bottom", bbox={"fc": colour, "ec": "none", "pad": 0.5})
        ax.set_title(title, fontsize=8)
    fig.suptitle("true boxes dashed white; predictions coloured by class", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_pr_curves(curves: dict[str, tuple[list[float], list[float]]], ap50: dict[str, float], path: str | Path) -> None:
    """Precision against recall at IoU 0.5, one line per class (COCO's 101 recall points)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, (recall, precision) in curves.items():
        ax.plot(recall, precision, label=f"{name} (AP50 {ap50.get(name, float('nan')):.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("precision-recall at IoU 0.5")
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
