"""Named sample images bundled with installed packages: ``sample:astronaut``, ``sample:coffee``...

Every command that takes an image also takes ``sample:NAME`` so it runs offline
out of the box. The pictures come from scikit-image (``skimage.data``) and
scikit-learn (``load_sample_image``); both ship them inside the package.
:func:`load_image` resolves either a sample name or any image path Pillow reads
(:func:`dlbox.data.images.read_image` does the same without ``max_side``). A spec
is a sample when its text starts with ``sample:``; a file whose name really
starts so is reached as ``./sample:...``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dlbox.data.decode import decode_file, header_size

PREFIX = "sample:"

# name -> (source, loader name, description)
SAMPLES: dict[str, tuple[str, str, str]] = {
    "astronaut": ("skimage", "astronaut", "portrait of astronaut Eileen Collins (RGB 512x512)"),
    "coffee": ("skimage", "coffee", "a cup of coffee (RGB 400x600)"),
    "chelsea": ("skimage", "chelsea", "Chelsea the cat (RGB 300x451)"),
    "rocket": ("skimage", "rocket", "a rocket launch (RGB 427x640)"),
    "hubble": ("skimage", "hubble_deep_field", "Hubble deep field (RGB 872x1000)"),
    "ihc": ("skimage", "immunohistochemistry", "immunohistochemistry stain (RGB 512x512)"),
    "colorwheel": ("skimage", "colorwheel", "a colour wheel (RGB 370x371)"),
    "camera": ("skimage", "camera", "cameraman (gray 512x512)"),
    "coins": ("skimage", "coins", "coins (gray 303x384)"),
    "moon": ("skimage", "moon", "lunar surface (gray 512x512)"),
    "gravel": ("skimage", "gravel", "gravel texture (gray 512x512)"),
    "brick": ("skimage", "brick", "brick wall texture (gray 512x512)"),
    "grass": ("skimage", "grass", "grass texture (gray 512x512)"),
    "text": ("skimage", "text", "printed text (gray 172x448)"),
    "page": ("skimage", "page", "scanned page (gray 191x384)"),
    "clock": ("skimage", "clock", "a clock (gray 300x400)"),
    "checkerboard": ("skimage", "checkerboard", "checkerboard (gray 200x200)"),
    "china": ("sklearn", "china.jpg", "a Chinese temple (RGB 427x640)"),
    "flower": ("sklearn", "flower.jpg", "a flower (RGB 427x640)"),
}


def list_samples() -> list[str]:
    return list(SAMPLES)


def is_sample(spec: str | Path) -> bool:
    """``sample:NAME``, given as a string or as the ``Path`` a command line turned it into."""
    return isinstance(spec, (str, Path)) and str(spec).startswith(PREFIX)


def sample_name(spec: str | Path) -> str:
    """``sample:coffee`` -> ``coffee``."""
    return str(spec)[len(PREFIX) :]


def _raw(name: str) -> np.ndarray:
    if name not in SAMPLES:
        raise ValueError(f"unknown sample image {name!r}; valid: {', '.join(PREFIX + n for n in SAMPLES)}")
    source, key, _ = SAMPLES[name]
    if source == "skimage":
        import skimage.data

        return np.asarray(getattr(skimage.data, key)())
    from sklearn.datasets import load_sample_image

    return np.asarray(load_sample_image(key))


def _to_channels(arr: np.ndarray, channels: int) -> torch.Tensor:
    """uint8/bool/float ``(H, W[, C])`` -> float ``(channels, H, W)`` in [0, 1]."""
    if arr.dtype == bool:
        arr = arr.astype(np.float32)
    elif np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.float32) / 255.0
    t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    t = t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)
    if t.shape[0] == 4:  # RGBA: composite on white
        t = t[:3] * t[3:] + (1 - t[3:])
    if channels == 1 and t.shape[0] == 3:
        t = (0.299 * t[0] + 0.587 * t[1] + 0.114 * t[2]).unsqueeze(0)
    elif channels == 3 and t.shape[0] == 1:
        t = t.expand(3, -1, -1)
    elif channels not in (1, 3):
        raise ValueError(f"images can be loaded with 1 or 3 channels, not {channels}")
    return t.clamp(0, 1).contiguous()


def fit_side(hw: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(H, W) scaled so the longer side is ``max_side``, aspect kept."""
    h, w = hw
    scale = max_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize(image: torch.Tensor, size: tuple[int, int] | None = None, max_side: int | None = None) -> torch.Tensor:
    """``(C, H, W)`` resized to ``size`` = (H, W), or so its longer side is ``max_side`` (aspect kept)."""
    h, w = image.shape[-2:]
    if size is None and max_side is not None:
        size = fit_side((h, w), max_side)
    if size is None or tuple(size) == (h, w):
        return image
    out = F.interpolate(image.unsqueeze(0), size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    return out.squeeze(0).clamp(0, 1)


def load_sample(name: str, channels: int = 3, size: tuple[int, int] | None = None, max_side: int | None = None) -> torch.Tensor:
    """The sample image ``name`` as ``(channels, H, W)`` float in [0, 1]."""
    return resize(_to_channels(_raw(name), channels), size, max_side)


def load_image(spec: str | Path, channels: int = 3, size: tuple[int, int] | None = None, max_side: int | None = None) -> torch.Tensor:
    """``sample:NAME`` or an image file, as ``(channels, H, W)`` float in [0, 1].

    A file Pillow cannot read raises :class:`dlbox.data.images.BadImageError` naming it.
    """
    if is_sample(spec):
        return load_sample(sample_name(spec), channels, size, max_side)
    if size is None and max_side is not None:  # decode a large file already reduced towards its final size
        size = fit_side(header_size(spec), max_side)
    return decode_file(spec, channels, size)


def image_label(spec: str | Path) -> str:
    """A short file-name-safe label for an image spec (``sample:coffee`` -> ``coffee``)."""
    return sample_name(spec) if is_sample(spec) else Path(spec).stem
