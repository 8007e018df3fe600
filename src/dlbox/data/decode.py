"""Decoding image files with bounded memory: every failure names the file; nothing is ever written back.

Pillow reads a file's header without its pixels, so the claimed size is checked
first: a header above Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``)
is refused before any pixel buffer exists. With a target size, JPEGs are decoded
already scaled down by the DCT (``Image.draft``: 1/2, 1/4 or 1/8 of each side) and
other formats are box-reduced by an integer factor before the final bilinear
resize, so a 4000x3000 photo never becomes a 4000x3000 float array; only the
target-size result is converted to float.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}

_WIDE_GRAY = ("I;16", "I;16B", "I;16L", "I", "F")  # 16/32-bit grayscale: Pillow's "L" would clip at 255
_ALPHA = ("RGBA", "LA", "P", "PA", "RGBa", "La")  # composited on white (P: the palette may hold alpha)
T = TypeVar("T")


class BadImageError(ValueError):
    """An image file that cannot be decoded (or is refused); ``path`` names it."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: cannot read image ({reason})")
        self.path = path
        self.reason = reason


def _pillow_errors() -> tuple[type[BaseException], ...]:
    from PIL import Image, UnidentifiedImageError

    # Pillow raises many types for bad files; DecompressionBombError derives from Exception only.
    return (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def open_with_pillow(
    p: Path, read: Callable[[Any], T], error: Callable[[Path, str], Exception] = BadImageError,
    keep: type[Exception] = BadImageError,
) -> T:
    """``read(im)`` on the file ``p`` opened by Pillow (its warnings silenced); nothing is written back.

    A missing file and every error Pillow raises become ``error(p, reason)`` (``reason``: Pillow's
    message, else its type's name); an exception of type ``keep`` (``read``'s own refusal) passes unchanged.
    """
    from PIL import Image

    if not p.is_file():
        raise error(p, "no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as im:
                return read(im)
    except keep:
        raise
    except _pillow_errors() as exc:
        raise error(p, str(exc) or type(exc).__name__) from None


def check_pixel_limit(path: Path, size_wh: tuple[int, int]) -> None:
    """Refuse a header that claims more pixels than ``PIL.Image.MAX_IMAGE_PIXELS`` (None: no limit)."""
    from PIL import Image

    w, h = size_wh
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and w * h > limit:
        raise BadImageError(
            path, f"possible decompression bomb: the header claims {w}x{h} = {w * h:,} pixels, above the limit of "
            f"{limit:,} (PIL.Image.MAX_IMAGE_PIXELS); refused without decoding"
        )


def header_size(path: str | Path) -> tuple[int, int]:
    """``(H, W)`` from the file's header, without decoding pixels; :class:`BadImageError` if unusable."""
    p = Path(path)
    w, h = open_with_pillow(p, lambda im: im.size)
    check_pixel_limit(p, (w, h))
    return h, w


def decode_file(path: str | Path, channels: int = 3, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Decode the file ``path`` to ``(channels, H, W)`` float32 in [0, 1]; ``size`` = (H, W) resizes.

    Grayscale, RGB, RGBA and palette images are all converted to ``channels``
    (1 or 3; alpha is composited on white). Raises :class:`BadImageError` for a
    missing, truncated or non-image file and for a decompression bomb.
    """
    p = Path(path)

    def pixels(im) -> np.ndarray:
        check_pixel_limit(p, im.size)
        if size is not None and im.format == "JPEG":
            im.draft(None, (size[1], size[0]))  # DCT scaling: the largest 1/s (s = 2, 4, 8) still >= size
        im.load()  # forces a full decode: truncated files fail here
        return _wide_gray(im, size) if im.mode in _WIDE_GRAY else _eight_bit(im, channels, size)

    t = torch.from_numpy(open_with_pillow(p, pixels))
    if t.ndim == 2:
        t = t.unsqueeze(0)  # (1, H, W)
        return t.expand(3, -1, -1).clone() if channels == 3 else t
    return t.permute(2, 0, 1).contiguous()  # (H, W, C) -> (C, H, W)


def _shrink(im, size: tuple[int, int] | None):
    """Resize to ``size`` = (H, W): an integer box reduction first (Pillow's reducing_gap), then bilinear."""
    from PIL import Image

    if size is None or im.size == (size[1], size[0]):
        return im
    return im.resize((size[1], size[0]), Image.BILINEAR, reducing_gap=2.0)


def _eight_bit(im, channels: int, size: tuple[int, int] | None) -> np.ndarray:
    """``(H, W)`` or ``(H, W, 3)`` float32 in [0, 1] from an 8-bit image of any mode."""
    from PIL import Image

    if im.mode in _ALPHA:
        im = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im)
    target = "L" if channels == 1 else "RGB"
    if im.mode not in ("L", "RGB"):  # 1, RGBA (composited), CMYK, YCbCr, LAB...
        im = im.convert(target)
    im = _shrink(im, size).convert(target)
    return np.asarray(im, dtype=np.float32) / 255.0


def _wide_gray(im, size: tuple[int, int] | None) -> np.ndarray:
    """``(H, W)`` float32 of a 16-bit (or 32-bit) grayscale image scaled by its type's range, not clipped at 255."""
    if im.mode.startswith("I;16"):
        scale = 65535.0
        im = im.convert("I")  # Pillow reduces and resizes 32-bit "I", not "I;16"
    else:
        top = float(im.getextrema()[1])
        scale = 65535.0 if top <= 65535 else top
    arr = np.asarray(_shrink(im, size), dtype=np.float32)
    return np.clip(arr / scale, 0.0, 1.0)
