"""Images the tour feeds to predict commands: test digits and fresh shapes scenes, written once as PNG files.

An :class:`Images` value in a run's options becomes a list of PNG paths (or one path) under ``OUT/inputs/``;
the files are written the first time and reused on a rerun, so resumed steps see the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Shapes scenes for predictions come from a seed the datasets' splits never use (they use split_seed 0...).
SCENE_SEED = 9_999


@dataclass(frozen=True)
class Images:
    """``n`` images of ``dataset`` (``digits``: the test split; ``shapes``: new scenes of ``size`` pixels with
    ``min_objects``..``max_objects`` objects); ``grid > 1`` tiles ``grid x grid`` scenes into each image
    (a larger canvas for a convolutionalized classifier). ``single``: the value is one path, not a list."""

    dataset: str
    n: int = 4
    size: int = 64
    min_objects: int = 1
    max_objects: int = 1
    grid: int = 1
    single: bool = False

    @property
    def key(self) -> str:
        """The folder name under ``OUT/inputs/``: every field that changes the pictures."""
        if self.dataset == "digits":
            return f"digits-{self.n}"
        return f"{self.dataset}-{self.n}x{self.size}px-{self.min_objects}to{self.max_objects}-grid{self.grid}"


def write_images(spec: Images, root: Path) -> list[Path]:
    """The PNG files of ``spec`` under ``root / spec.key`` (written now unless a previous tour left them all)."""
    folder = root / spec.key
    paths = [folder / f"{i:03d}.png" for i in range(spec.n)]
    if all(p.is_file() for p in paths):
        return paths
    pixels = _pixels(spec)  # (n, H, W, C) uint8
    folder.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    for path, image in zip(paths, pixels):
        tmp = path.with_suffix(".tmp.png")
        Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(tmp)
        tmp.replace(path)  # a killed tour never leaves half an image behind
    return paths


def _pixels(spec: Images) -> np.ndarray:
    if spec.dataset == "digits":
        from dlbox.config import DataConfig
        from dlbox.data import load_dataset

        images = load_dataset(DataConfig(name="digits")).test["image"][: spec.n]  # (n, 1, 8, 8) in [0, 1]
    elif spec.dataset == "shapes":
        from dlbox.data.shapes import generate_shapes

        count = spec.n * spec.grid**2
        images = generate_shapes(count, seed=SCENE_SEED, size=spec.size, min_objects=spec.min_objects,
                                 max_objects=spec.max_objects)["image"]  # (n * g * g, 3, S, S)
        g, s = spec.grid, spec.size
        # tile g x g scenes: (n, g, g, 3, S, S) -> (n, 3, g * S, g * S)
        images = images.reshape(spec.n, g, g, 3, s, s).permute(0, 3, 1, 4, 2, 5).reshape(spec.n, 3, g * s, g * s)
    else:
        raise ValueError(f"tour input dataset {spec.dataset!r} is not valid; use digits or shapes")
    return (images.permute(0, 2, 3, 1).clamp(0, 1) * 255).round().byte().numpy()  # (n, H, W, C)
