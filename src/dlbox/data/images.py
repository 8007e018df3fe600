"""Reading user images safely: every failure names the file; nothing is ever written back."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


class BadImageError(ValueError):
    """An image file that cannot be decoded; ``path`` names it."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: cannot read image ({reason})")
        self.path = path
        self.reason = reason


def read_image(path: str | Path, channels: int = 3, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Decode ``path`` to ``(channels, H, W)`` float32 in [0, 1].

    Grayscale, RGB, RGBA and palette images are all converted to ``channels``
    (1 or 3; alpha is composited on white). ``size`` = (H, W) resizes.
    Raises :class:`BadImageError` for a missing, truncated or non-image file.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise BadImageError(p, "no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as im:
                im.load()  # forces a full decode: truncated files fail here
                if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit and wide grayscale: Pillow's "L" would clip
                    return _wide_gray(im, channels, size)
                if im.mode in ("RGBA", "LA", "P", "PA"):
                    im = im.convert("RGBA")
                    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                    im = Image.alpha_composite(bg, im)
                im = im.convert("L" if channels == 1 else "RGB")
                if size is not None:
                    im = im.resize((size[1], size[0]), Image.BILINEAR)
                arr = np.asarray(im, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadImageError(p, str(exc) or type(exc).__name__) from None
    t = torch.from_numpy(arr.copy())
    return t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)  # (C, H, W)


def _wide_gray(im, channels: int, size: tuple[int, int] | None) -> torch.Tensor:
    """A 16-bit (or 32-bit) grayscale image scaled by its type's range, not clipped at 255."""
    from PIL import Image

    arr = np.asarray(im, dtype=np.float32)
    scale = 65535.0 if im.mode.startswith("I;16") or arr.max(initial=0) <= 65535 else float(arr.max())
    arr = np.clip(arr / scale, 0.0, 1.0)
    if size is not None:
        arr = np.asarray(Image.fromarray(arr, mode="F").resize((size[1], size[0]), Image.BILINEAR), dtype=np.float32)
    t = torch.from_numpy(arr.copy()).unsqueeze(0)  # (1, H, W)
    return t.expand(channels, -1, -1).clone() if channels == 3 else t
