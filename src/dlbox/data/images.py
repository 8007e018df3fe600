"""``read_image``: the one reader for user images, files and ``sample:NAME`` alike.

Every command that takes an image calls it, so each accepts a bundled sample
(:mod:`dlbox.data.samples`) as well as any file Pillow reads. Files are decoded
with bounded memory and every failure names the file (:mod:`dlbox.data.decode`);
nothing is ever written back.
"""

from __future__ import annotations

from pathlib import Path

import torch

from dlbox.data.decode import IMAGE_SUFFIXES, BadImageError, decode_file, header_size
from dlbox.data.samples import is_sample, load_sample, sample_name

__all__ = ["IMAGE_SUFFIXES", "BadImageError", "header_size", "read_image"]


def read_image(spec: str | Path, channels: int = 3, size: tuple[int, int] | None = None) -> torch.Tensor:
    """``sample:NAME`` or an image file, as ``(channels, H, W)`` float32 in [0, 1].

    ``channels`` is 1 or 3 (alpha is composited on white); ``size`` = (H, W)
    resizes, and a large file is decoded already reduced towards it. A file that
    cannot be read (missing, truncated, not an image, a decompression bomb)
    raises :class:`BadImageError` naming it; an unknown sample name raises a
    ``ValueError`` listing the valid ones.
    """
    if is_sample(spec):
        return load_sample(sample_name(spec), channels, size)
    return decode_file(spec, channels, size)
