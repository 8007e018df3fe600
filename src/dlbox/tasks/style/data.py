"""Content images for ``dlbox style train``: square crops of samples, a folder of any images, or a dataset."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from dlbox.data.bundle import DataBundle


def load_content(name: str, size: int) -> DataBundle:
    """Content images ``(N, 3, size, size)`` split into training and validation (no labels, no test split)."""
    train, val = split_content(content_images(name, size))
    info = {"dataset": name, "content_size": size, "n_train": len(train), "n_val": len(val)}
    return DataBundle({"image": train}, {"image": val}, {"image": val[:0]}, [], 3, (size, size), info)


def _square(image: torch.Tensor, size: int) -> torch.Tensor:
    """Shorter side to ``size``, then the centre ``size x size`` crop."""
    from dlbox.data.samples import resize

    h, w = image.shape[-2:]
    k = size / min(h, w)
    image = resize(image, (max(size, round(h * k)), max(size, round(w * k))))
    h, w = image.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return image[:, top : top + size, left : left + size]


def _crops(image: torch.Tensor, size: int) -> list[torch.Tensor]:
    """The centre crop at ``size``, plus the four corner crops of a twice-as-large copy."""
    from dlbox.data.samples import resize

    out = [_square(image, size)]
    big = _square(image, 2 * size)
    for top in (0, size):
        for left in (0, size):
            out.append(big[:, top : top + size, left : left + size])
    return [resize(o, (size, size)) for o in out]


def content_images(data: str, size: int) -> torch.Tensor:
    """``(N, 3, size, size)`` content images from ``samples``, ``folder:PATH`` (any tree of images) or a dataset."""
    if size < 16:
        raise ValueError(f"content size must be at least 16 pixels, got {size}")
    if data == "samples":
        from dlbox.data.samples import list_samples, load_sample

        return torch.stack([c for n in list_samples() for c in _crops(load_sample(n, 3), size)])
    if data.startswith("folder:"):
        return _folder_images(Path(data[len("folder:") :]), size)
    from dlbox.config import DataConfig
    from dlbox.data import load_dataset

    bundle = load_dataset(DataConfig(name=data, image_size=size, num_samples=512))
    images = bundle.train["image"][:512]  # type: ignore[index]
    return images.expand(-1, 3, -1, -1).contiguous() if images.shape[1] == 1 else images


def _folder_images(root: Path, size: int) -> torch.Tensor:
    from dlbox.data.images import IMAGE_SUFFIXES, BadImageError, read_image

    if not root.is_dir():
        raise FileNotFoundError(f"content folder {root} does not exist or is not a directory")
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    images, bad = [], []
    for f in files:
        try:
            images.append(_square(read_image(f, 3), size))
        except BadImageError as exc:
            bad.append(f"{exc.path} ({exc.reason})")
    if bad:
        warnings.warn(f"skipped {len(bad)} unreadable file(s):\n  " + "\n  ".join(bad), stacklevel=2)
    if not images:
        raise ValueError(f"content folder {root} has no readable images (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return torch.stack(images)


def split_content(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every tenth image (at least one, at most eight) for validation; all of them if there is only one."""
    n = len(images)
    if n == 1:
        return images, images
    val_idx = list(range(0, n, 10))[:8] if n >= 10 else [n - 1]
    keep = [i for i in range(n) if i not in set(val_idx)]
    return images[keep], images[val_idx]
