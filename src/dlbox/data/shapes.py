"""Procedural shape scenes, deterministic by seed.

One :class:`Scene` description yields three label views: an image-level class
(the kind of its single or largest shape), a per-pixel class mask (0 is
background, ``k + 1`` is shape kind ``k``) and bounding boxes (``x1, y1, x2, y2``
in pixels, ``x2``/``y2`` exclusive) with their kinds. Scene ``i`` of seed ``s``
depends only on ``(s, i)``, so datasets of different sizes share their prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

KINDS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "cross", "ring")


@dataclass(frozen=True)
class Shape:
    kind: str
    cx: float  # centre, pixels
    cy: float
    r: float  # half extent, pixels
    color: tuple[float, float, float]


@dataclass(frozen=True)
class Scene:
    size: int
    background: tuple[float, float, float]
    shapes: tuple[Shape, ...]
    noise: float
    noise_seed: int


def shape_mask(shape: Shape, size: int) -> np.ndarray:
    """Boolean ``(size, size)`` mask of the pixels whose centres lie inside ``shape``."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx, dy, r = x - shape.cx, y - shape.cy, shape.r
    if shape.kind == "circle":
        return dx * dx + dy * dy <= r * r
    if shape.kind == "square":
        return (np.abs(dx) <= r) & (np.abs(dy) <= r)
    if shape.kind == "triangle":  # apex up, base 2r wide
        return (dy >= -r) & (dy <= r) & (np.abs(dx) <= (dy + r) / 2)
    if shape.kind == "diamond":
        return np.abs(dx) + np.abs(dy) <= r
    if shape.kind == "cross":
        arm = r / 3
        return ((np.abs(dx) <= arm) & (np.abs(dy) <= r)) | ((np.abs(dy) <= arm) & (np.abs(dx) <= r))
    if shape.kind == "ring":
        d2 = dx * dx + dy * dy
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    raise ValueError(f"unknown shape kind {shape.kind!r}; valid kinds: {', '.join(KINDS)}")


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box's area: 1.0 when one box lies inside the other.

    (IoU would let a small shape sit entirely under a large one and vanish.)
    """
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def _color(rng: np.random.Generator, background: np.ndarray) -> tuple[float, float, float]:
    # A colour far enough from the background that every shape is visible.
    while True:
        c = rng.uniform(0.0, 1.0, 3)
        if np.abs(c - background).max() > 0.35:
            return tuple(float(v) for v in c)


def sample_scene(
    seed: int,
    index: int,
    size: int = 64,
    kinds: tuple[str, ...] = KINDS[:3],
    min_objects: int = 1,
    max_objects: int = 1,
    scale: tuple[float, float] = (0.12, 0.3),
    noise: float = 0.05,
) -> Scene:
    """Scene ``index`` of the family ``seed``.

    Objects overlap by less than 20% of the smaller one's box and each covers at
    least one pixel, so every object stays visible.
    """
    rng = np.random.default_rng([seed, index])
    background = rng.uniform(0.0, 1.0, 3) * 0.6 + 0.2 * rng.uniform()
    count = int(rng.integers(min_objects, max_objects + 1))
    shapes: list[Shape] = []
    boxes: list[tuple[float, ...]] = []
    for _ in range(100 * count):
        if len(shapes) == count:
            break
        kind = kinds[int(rng.integers(len(kinds)))]
        r = float(rng.uniform(*scale) * size)
        cx, cy = (float(v) for v in rng.uniform(r, size - r, 2))
        box = (cx - r, cy - r, cx + r, cy + r)
        if any(_overlap(box, b) > 0.2 for b in boxes):
            continue
        shape = Shape(kind, cx, cy, r, _color(rng, background))
        if not shape_mask(shape, size).any():  # too thin to cover a pixel centre at this size
            continue
        shapes.append(shape)
        boxes.append(box)
    return Scene(size, tuple(float(v) for v in background), tuple(shapes), noise, int(rng.integers(2**31)))


def render(scene: Scene, kinds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``image (3, S, S)`` float32 in [0, 1], ``mask (S, S)`` int64, ``boxes (K, 4)``, ``box_labels (K,)``."""
    s = scene.size
    image = np.empty((3, s, s), np.float32)
    image[:] = np.asarray(scene.background, np.float32)[:, None, None]
    mask = np.zeros((s, s), np.int64)
    instance = np.full((s, s), -1, np.int64)
    for j, shape in enumerate(scene.shapes):  # later shapes are drawn over earlier ones
        m = shape_mask(shape, s)
        image[:, m] = np.asarray(shape.color, np.float32)[:, None]
        mask[m] = kinds.index(shape.kind) + 1
        instance[m] = j
    boxes, labels = [], []
    for j, shape in enumerate(scene.shapes):  # boxes bound what remains visible
        ys, xs = np.nonzero(instance == j)
        if len(xs) == 0:
            continue
        boxes.append((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
        labels.append(kinds.index(shape.kind))
    noise = np.random.default_rng(scene.noise_seed).normal(0.0, scene.noise, image.shape).astype(np.float32)
    image = np.clip(image + noise, 0.0, 1.0)
    return image, mask, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels, np.int64)


def generate_shapes(
    n: int,
    seed: int = 0,
    size: int = 64,
    kinds: tuple[str, ...] | list[str] = KINDS[:3],
    min_objects: int = 1,
    max_objects: int = 1,
    scale: tuple[float, float] = (0.12, 0.3),
    noise: float = 0.05,
) -> dict[str, torch.Tensor]:
    """``n`` scenes as tensors.

    Returns ``image (n, 3, S, S)``, ``label (n,)`` (kind of the largest shape),
    ``mask (n, S, S)``, ``boxes (n, M, 4)`` and ``box_labels (n, M)``, where M
    is ``max_objects`` and unused rows are padded with -1.
    """
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ValueError(f"unknown shape kind(s) {bad or kinds}; valid kinds: {', '.join(KINDS)}")
    if n <= 0:
        raise ValueError(f"number of scenes must be positive, got {n}")
    images = np.empty((n, 3, size, size), np.float32)
    masks = np.empty((n, size, size), np.int64)
    boxes = np.full((n, max_objects, 4), -1.0, np.float32)
    box_labels = np.full((n, max_objects), -1, np.int64)
    labels = np.empty(n, np.int64)
    for i in range(n):
        scene = sample_scene(seed, i, size, kinds, min_objects, max_objects, scale, noise)
        images[i], masks[i], b, bl = render(scene, kinds)
        if len(bl) == 0:
            raise ValueError(f"scene {i} of seed {seed} has no visible shape at size {size}; use a larger image size")
        boxes[i, : len(b)], box_labels[i, : len(bl)] = b, bl
        areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        labels[i] = bl[int(np.argmax(areas))]
    return {
        "image": torch.from_numpy(images),
        "label": torch.from_numpy(labels),
        "mask": torch.from_numpy(masks),
        "boxes": torch.from_numpy(boxes),
        "box_labels": torch.from_numpy(box_labels),
    }
