"""Generic fixtures shared across the test suite (keep this file small)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def image_tree(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a small ImageFolder tree: ``ROOT/CLASS/NNN.EXT`` with random pixels.

    ``image_tree({"cat": 3, "dog": 2}, size=(8, 8), formats=("png", "jpg"), mode="RGB")``
    returns ROOT. Formats alternate across files of a class; pixels are seeded.
    """
    from PIL import Image

    counter = iter(range(10**6))

    def make(
        classes: dict[str, int] | None = None,
        size: tuple[int, int] = (8, 8),
        formats: tuple[str, ...] = ("png", "jpg"),
        mode: str = "RGB",
        seed: int = 0,
    ) -> Path:
        classes = {"a": 3, "b": 3} if classes is None else classes
        root = tmp_path / f"tree{next(counter)}"
        rng = np.random.default_rng(seed)
        channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
        h, w = size
        for name, count in classes.items():
            (root / name).mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
                im = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)  # mode inferred: L/RGB/RGBA
                fmt = formats[i % len(formats)]
                if fmt in ("jpg", "jpeg") and mode == "RGBA":
                    im = im.convert("RGB")
                im.save(root / name / f"{i:03d}.{fmt}")
        return root

    return make
