"""Segmentation masks on disk: ``masks:IMAGES_DIR,MASKS_DIR`` (notes 3.11).

Each image ``IMAGES_DIR/NAME.ext`` has an index mask ``MASKS_DIR/NAME.png`` of
the same stem and size: one class index per pixel. Single-channel PNGs (L, I,
1) hold the indices as pixel values; palette PNGs (mode P, as in Pascal VOC)
hold them as palette indices, which is what is read (the colours are ignored).
The ignore index (255 by default: VOC's object boundaries) marks pixels that the
loss and the metrics skip.

Class names come from ``classes`` when given, else ``MASKS_DIR/classes.txt``
(one name per line, line i = index i), else they are ``class0..classK`` with K
the largest index found. Every problem names the file: a mask without an image
(or an image without a mask), image and mask sizes that differ, a mask value
that is neither a class nor the ignore index, a mask that is not an index image.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dlbox.data.folder import DatasetError
from dlbox.data.images import IMAGE_SUFFIXES, BadImageError, read_image

IGNORE_INDEX = 255
CLASSES_FILE = "classes.txt"


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
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise MaskError(p, "no such mask file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as im:
                im.load()
                mode = im.mode
                if mode not in ("P", "L", "1", "I", "I;16", "I;16B", "I;16L"):
                    raise MaskError(
                        p, f"a mask must be a single-channel index image or a palette PNG, but this one is mode {mode} "
                        "(colour masks must be converted to class indices first)"
                    )
                arr = np.asarray(im)  # mode P: the palette indices themselves
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, MaskError):
            raise
        raise MaskError(p, f"cannot read mask ({exc or type(exc).__name__})") from None
    return torch.from_numpy(arr.astype(np.int64))


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
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """``images (N, C, H, W)`` float [0, 1], ``masks (N, H, W)`` int64 and the class names.

    Images and masks are checked at their native size, then resized to
    ``size`` (default: the first image's size): images bilinearly, masks by
    nearest neighbour so indices stay indices.
    """
    images, masks = [], []
    for img_path, mask_path in zip(pairs.images, pairs.masks):
        try:
            image = read_image(img_path, channels)
        except BadImageError as exc:
            raise MaskError(exc.path, f"cannot read image ({exc.reason})") from None
        mask = read_mask(mask_path)
        if tuple(image.shape[1:]) != tuple(mask.shape):
            raise MaskError(
                mask_path, f"mask is {mask.shape[0]}x{mask.shape[1]} (HxW) but its image {img_path} is {image.shape[1]}x{image.shape[2]}"
            )
        images.append(image)
        masks.append(mask)
    names = class_names or read_class_names(pairs.masks_dir)
    if names is None:  # inferred: every index that occurs, up to the largest
        top = max(int(m[m != ignore_index].max()) if bool((m != ignore_index).any()) else 0 for m in masks)
        names = [f"class{i}" for i in range(top + 1)]
    for mask, path in zip(masks, pairs.masks):
        check_mask_values(mask, len(names), ignore_index, path)
    size = size or tuple(images[0].shape[1:])
    images = [_resize_image(i, size) for i in images]
    masks = [_resize_mask(m, size) for m in masks]
    return torch.stack(images), torch.stack(masks), list(names)


def _resize_image(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(image.shape[1:]) == tuple(size):
        return image
    return torch.nn.functional.interpolate(image[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0].clamp(0, 1)


def _resize_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(mask.shape) == tuple(size):
        return mask
    return torch.nn.functional.interpolate(mask[None, None].float(), size=size, mode="nearest-exact")[0, 0].long()


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
