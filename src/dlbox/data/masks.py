"""Segmentation masks on disk: ``masks:IMAGES_DIR,MASKS_DIR`` (notes 3.11).

Each image ``IMAGES_DIR/NAME.ext`` has an index mask ``MASKS_DIR/NAME.png`` of
the same stem and size: one class index per pixel. Single-channel PNGs (L, I,
1) hold the indices as pixel values; palette PNGs (mode P, as in Pascal VOC)
hold them as palette indices, which is what is read (the colours are ignored).
The ignore index (255 by default: VOC's object boundaries) marks pixels that the
loss and the metrics skip.

Class names come from ``classes`` when given, else ``MASKS_DIR/classes.txt``
(one name per line, line i = index i), else they are ``class0..class{K-1}`` for
the values 0..K-1 that occur, which must leave no gap: a stray value (one pixel
of 200 in binary masks) is an error naming the file and the value, not a
201-class model. Every problem names the file: a mask without an image (or an
image without a mask), image and mask sizes that differ, a mask value that is
neither a class nor the ignore index, a mask that is not an index image.

Sizes are compared from the headers; images are decoded already reduced to the
training size (``size``, else chosen from the headers as for folder datasets:
:func:`dlbox.data.folder.choose_image_size`) and masks resized by nearest
neighbour one at a time, so memory is bounded by the training size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from dlbox.data.decode import check_pixel_limit, open_with_pillow
from dlbox.data.folder import DatasetError, choose_image_size, report_size
from dlbox.data.images import IMAGE_SUFFIXES, BadImageError, header_size, read_image

IGNORE_INDEX = 255
CLASSES_FILE = "classes.txt"
MASK_MODES = ("P", "L", "1", "I", "I;16", "I;16B", "I;16L")
T = TypeVar("T")


class MaskError(DatasetError):
    """A mask (or image/mask pair) that cannot be used; ``path`` names the file."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path


@dataclass
class MaskPairs:
    images_dir: Path
    masks_dir: Path
    images: list[Path]
    masks: list[Path]


def parse_masks_name(name: str) -> tuple[Path, Path]:
    """``"masks:IMAGES_DIR,MASKS_DIR"`` -> the two directories."""
    spec = name[len("masks:") :] if name.startswith("masks:") else name
    parts = spec.split(",")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise DatasetError(f"dataset {name!r} must look like masks:IMAGES_DIR,MASKS_DIR")
    return Path(parts[0].strip()), Path(parts[1].strip())


def _files(directory: Path, what: str) -> dict[str, Path]:
    if not directory.is_dir():
        raise DatasetError(f"{what} directory {directory} does not exist or is not a directory")
    out: dict[str, Path] = {}
    for p in sorted(directory.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if p.stem in out:
            raise DatasetError(f"{what} directory {directory} has two files with the stem {p.stem!r}: {out[p.stem].name}, {p.name}")
        out[p.stem] = p
    return out


def pair_masks(images_dir: str | Path, masks_dir: str | Path) -> MaskPairs:
    """Match images and masks by file stem; an unmatched file on either side is an error naming it."""
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    images, masks = _files(images_dir, "images"), _files(masks_dir, "masks")
    orphans = sorted(set(masks) - set(images))
    if orphans:
        raise MaskError(masks[orphans[0]], f"mask has no image of the same stem in {images_dir}" + _more(orphans))
    unlabelled = sorted(set(images) - set(masks))
    if unlabelled:
        raise MaskError(images[unlabelled[0]], f"image has no mask of the same stem in {masks_dir}" + _more(unlabelled))
    if not images:
        raise DatasetError(f"images directory {images_dir} holds no images")
    stems = sorted(images)
    return MaskPairs(images_dir, masks_dir, [images[s] for s in stems], [masks[s] for s in stems])


def _more(names: list[str]) -> str:
    return f" (and {len(names) - 1} more: {', '.join(names[1:4])}{'...' if len(names) > 4 else ''})" if len(names) > 1 else ""


def read_mask(path: str | Path) -> torch.Tensor:
    """``(H, W)`` int64 class indices of an index or palette PNG (palette indices, not colours)."""
    return torch.from_numpy(_mask_array(Path(path)).astype(np.int64))


def _mask_array(p: Path) -> np.ndarray:
    """``(H, W)`` indices in the file's own integer type (uint8 for P and L: no int64 copy at full size)."""

    def pixels(im) -> np.ndarray:
        im.load()
        arr = np.asarray(im)  # mode P: the palette indices themselves
        return arr.astype(np.uint8) if arr.dtype == bool else arr

    return _open_mask(p, pixels)


def _mask_header_size(p: Path) -> tuple[int, int]:
    """``(H, W)`` of a mask from its header (mode and claimed size checked, no pixels decoded)."""
    return _open_mask(p, lambda im: (im.size[1], im.size[0]))


def _open_mask(p: Path, read: Callable[[Any], T]) -> T:
    """``read(image)`` on the opened mask ``p`` after checking its header; every failure is a MaskError naming ``p``."""

    def checked(im) -> T:
        _check_mask_header(p, im)
        return read(im)

    return open_with_pillow(p, checked, lambda path, reason: MaskError(path, f"cannot read mask ({reason})"), keep=MaskError)


def _check_mask_header(p: Path, im) -> None:
    if im.mode not in MASK_MODES:
        raise MaskError(
            p, f"a mask must be a single-channel index image or a palette PNG, but this one is mode {im.mode} "
            "(colour masks must be converted to class indices first)"
        )
    try:
        check_pixel_limit(p, im.size)
    except BadImageError as exc:
        raise MaskError(p, exc.reason) from None


def check_mask_values(mask: torch.Tensor, num_classes: int, ignore_index: int, path: Path) -> None:
    """Every value must be a class index ``0..num_classes-1`` or ``ignore_index``."""
    bad = (mask >= num_classes) & (mask != ignore_index) | (mask < 0)
    if bool(bad.any()):
        values = torch.unique(mask[bad]).tolist()
        raise MaskError(
            path, f"mask values {values[:10]} are outside the {num_classes} classes (0..{num_classes - 1}) and not the ignore index {ignore_index}"
        )


def read_class_names(masks_dir: Path) -> list[str] | None:
    path = masks_dir / CLASSES_FILE
    if not path.is_file():
        return None
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not names:
        raise DatasetError(f"{path} lists no class names")
    return names


def load_mask_tensors(
    pairs: MaskPairs,
    channels: int = 3,
    size: tuple[int, int] | None = None,
    class_names: list[str] | None = None,
    ignore_index: int = IGNORE_INDEX,
    info: dict | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """``images (N, C, H, W)`` float [0, 1], ``masks (N, H, W)`` int64 and the class names.

    Image and mask sizes are compared from the headers; every image is decoded
    already reduced to ``size`` (default: chosen from the headers, see
    :func:`dlbox.data.folder.choose_image_size`) and every mask is checked at its
    native size, then resized by nearest neighbour so indices stay indices.
    ``info``, when given, receives ``image_size_chosen`` and ``image_size_reason``.
    """
    native = [_pair_size(i, m) for i, m in zip(pairs.images, pairs.masks)]
    if size is None:
        size, reason = choose_image_size(native)
        if any(s != size for s in native):
            report_size(size, reason, f"mask dataset {pairs.images_dir}")
    else:
        reason = "data.image_size"
    if info is not None:
        info.update(image_size_chosen=list(size), image_size_reason=reason)
    images, masks, values = [], [], []
    for img_path, mask_path in zip(pairs.images, pairs.masks):
        try:
            images.append(read_image(img_path, channels, size))  # (C, H, W) at the training size
        except BadImageError as exc:
            raise MaskError(exc.path, f"cannot read image ({exc.reason})") from None
        arr = _mask_array(mask_path)  # (H0, W0) native, its own integer type
        values.append(np.unique(arr, return_counts=True))
        masks.append(torch.from_numpy(_nearest(arr, size).astype(np.int64)))  # (H, W)
    names = class_names or read_class_names(pairs.masks_dir) or _infer_class_names(values, pairs, ignore_index)
    for (vals, _), path in zip(values, pairs.masks):
        check_mask_values(torch.from_numpy(vals.astype(np.int64)), len(names), ignore_index, path)
    return torch.stack(images), torch.stack(masks), list(names)


def _pair_size(img_path: Path, mask_path: Path) -> tuple[int, int]:
    """(H, W) of an image and its mask from their headers; they must agree."""
    try:
        h, w = header_size(img_path)
    except BadImageError as exc:
        raise MaskError(exc.path, f"cannot read image ({exc.reason})") from None
    mh, mw = _mask_header_size(mask_path)
    if (mh, mw) != (h, w):
        raise MaskError(mask_path, f"mask is {mh}x{mw} (HxW) but its image {img_path} is {h}x{w}")
    return h, w


def _infer_class_names(values: list[tuple[np.ndarray, np.ndarray]], pairs: MaskPairs, ignore_index: int) -> list[str]:
    """``class0..class{K-1}`` when the values found (ignore index aside) are exactly 0..K-1; else a MaskError naming the stray value's file."""
    present = np.unique(np.concatenate([v for v, _ in values]))
    present = present[present != ignore_index]
    if len(present) == 0 or (present[0] == 0 and present[-1] == len(present) - 1):  # sorted and distinct: all of 0..K-1
        return [f"class{i}" for i in range(max(len(present), 1))]
    missing = int(np.setdiff1d(np.arange(len(present) + 1), present)[0])  # the smallest index that never occurs
    stray = present[(present < 0) | (present > missing)]
    first = int(stray[0])
    path, count = next((m, int(c[v == first][0])) for (v, c), m in zip(values, pairs.masks) if bool((v == first).any()))
    holders = sum(bool(np.isin(v, stray).any()) for v, _ in values)
    shown = ", ".join(str(int(v)) for v in present[:12]) + (", ..." if len(present) > 12 else "")
    raise MaskError(
        path,
        f"mask value {first} ({count} pixel(s) in this file) is not a class index: without a class list the classes "
        f"are the values 0..K-1, each occurring somewhere, plus the ignore index {ignore_index}; the masks hold "
        f"{shown} but never {missing} (stray value(s) {', '.join(str(int(v)) for v in stray[:10])} in "
        f"{holders} file(s)). Fix the mask, or list the class names in index order "
        f"(segment --classes, or one per line in {pairs.masks_dir / CLASSES_FILE})",
    )


def _nearest(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H0, W0)`` -> ``(H, W)`` by nearest neighbour (the source pixel under each target pixel's centre)."""
    h0, w0 = mask.shape
    h, w = size
    if (h0, w0) == (h, w):
        return mask
    rows = np.minimum(((np.arange(h) + 0.5) * (h0 / h)).astype(np.int64), h0 - 1)
    cols = np.minimum(((np.arange(w) + 0.5) * (w0 / w)).astype(np.int64), w0 - 1)
    return mask[rows[:, None], cols[None, :]]  # (H, W)


def voc_palette(n: int = 256) -> np.ndarray:
    """``(n, 3)`` uint8: Pascal VOC's colour map (class i's colour from the bits of i)."""
    palette = np.zeros((n, 3), np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette


def write_mask(path: str | Path, mask: torch.Tensor | np.ndarray) -> None:
    """Write ``mask (H, W)`` indices 0..255 as a palette PNG (VOC colours; values read back unchanged)."""
    from PIL import Image

    arr = np.asarray(mask.cpu() if isinstance(mask, torch.Tensor) else mask)
    if arr.min(initial=0) < 0 or arr.max(initial=0) > 255:
        raise ValueError(f"mask values must lie in 0..255 to be written as a PNG, got {arr.min()}..{arr.max()}")
    im = Image.fromarray(arr.astype(np.uint8), mode="P")
    im.putpalette(voc_palette().flatten().tolist())
    im.save(Path(path))
