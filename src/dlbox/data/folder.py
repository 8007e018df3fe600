"""``folder:PATH``: an ImageFolder tree, one subfolder per class, any format Pillow reads.

Bad files (corrupt, truncated, not an image, a decompression bomb) are reported
by path and either skipped, with one plain line on stderr naming the count and
the files (``on_bad_image="skip"``), or fail the run (``"fail"``). Small trees are
decoded once into tensors; larger ones stream. Without ``data.image_size`` the
training size comes from the images' headers (:func:`choose_image_size`), so no
single large file decides it; every image is decoded already reduced to it.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import Dataset

from dlbox.data.decode import check_pixel_limit
from dlbox.data.images import BadImageError, header_size, read_image

DEFAULT_MAX_SIDE = 128  # automatic training size: the longer side is at most this many pixels
_SHOWN = 10  # files named in the one-line report; the full list goes to info["skipped"]


class DatasetError(ValueError):
    """A dataset that cannot be used as given; the message says why and what is valid."""


@dataclass
class FolderIndex:
    root: Path
    class_names: list[str]
    files: list[Path]
    labels: list[int]
    skipped: list[str] = field(default_factory=list)  # "path (reason)"


def scan_folder(root: str | Path) -> FolderIndex:
    """List class subfolders and their files; an empty tree or class is a :class:`DatasetError`."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"folder dataset {root} does not exist or is not a directory")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DatasetError(f"folder dataset {root} has no class subfolders; expected {root}/CLASS_NAME/IMAGE files")
    files, labels = [], []
    for ci, name in enumerate(classes):
        members = sorted(p for p in (root / name).rglob("*") if p.is_file() and not p.name.startswith("."))
        if not members:
            raise DatasetError(f"class folder {root / name} is empty; every class needs at least one image")
        files += members
        labels += [ci] * len(members)
    return FolderIndex(root, classes, files, labels)


def require_classes(index: FolderIndex, minimum: int = 2) -> None:
    """Classification needs at least two classes; say so before anything is decoded or trained."""
    if len(index.class_names) < minimum:
        found = ", ".join(repr(c) for c in index.class_names)
        raise DatasetError(
            f"folder dataset {index.root} has {len(index.class_names)} class folder ({found}); classification needs at "
            f"least {minimum} classes: put each class's images in its own subfolder {index.root}/CLASS_NAME/"
        )


def report_skipped(skipped: list[str], where: str, note: str = "") -> None:
    """One plain line on stderr naming how many files were skipped and which (no Python source line)."""
    if not skipped:
        return
    shown = "; ".join(s.replace("\n", " ") for s in skipped[:_SHOWN])
    more = f"; and {len(skipped) - _SHOWN} more (all listed under 'skipped' in data.json)" if len(skipped) > _SHOWN else ""
    print(f"dlbox: skipped {len(skipped)} unreadable file(s) in {where}: {shown}{more}{note}", file=sys.stderr)


def report_size(size: tuple[int, int], reason: str, where: str) -> None:
    """One plain line on stderr: the training size chosen from the data, and why."""
    print(f"dlbox: {where}: training size {size[0]}x{size[1]} (HxW): {reason}", file=sys.stderr)


def header_sizes(files: list[Path]) -> list[tuple[int, int] | None]:
    """``(H, W)`` of each file from its header (no pixels decoded); None for a file that cannot be used."""
    out: list[tuple[int, int] | None] = []
    for f in files:
        try:
            out.append(header_size(f))
        except BadImageError:
            out.append(None)  # reported by path when it is decoded (or verified)
    return out


def choose_image_size(sizes: list[tuple[int, int]], max_side: int = DEFAULT_MAX_SIDE) -> tuple[tuple[int, int], str]:
    """A training ``(H, W)`` for images of native ``sizes`` (H, W), and the reason, for the user.

    The (lower) median height and width, so no single outlier moves it, scaled
    down (aspect kept) until the longer side is at most ``max_side``.
    """
    if not sizes:
        raise ValueError("choose_image_size needs at least one image size")
    hw = torch.tensor(sizes)  # (N, 2)
    h, w = (int(v) for v in hw.median(dim=0).values)
    n = len(sizes)
    if bool((hw == hw[0]).all()):
        reason = f"data.image_size not set; all {n} images are {h}x{w}"
    else:
        lo, hi = hw.prod(1).argmin(), hw.prod(1).argmax()
        reason = (
            f"data.image_size not set; median of {n} image headers (sizes from {int(hw[lo, 0])}x{int(hw[lo, 1])} "
            f"to {int(hw[hi, 0])}x{int(hw[hi, 1])})"
        )
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        h, w = max(1, round(h * scale)), max(1, round(w * scale))
        reason += f", scaled down to {max_side} px on the longer side"
    resized = int((~((hw[:, 0] == h) & (hw[:, 1] == w))).sum())
    if resized:
        reason += f"; {resized} of {n} images resized to it (set data.image_size to choose another)"
    return (h, w), reason


def _report_bad(bad: list[str], on_bad_image: str, where: str) -> None:
    if bad and on_bad_image == "fail":
        raise DatasetError(f"{len(bad)} unreadable file(s) (use --on-bad-image skip to skip them):\n  " + "\n  ".join(bad))
    report_skipped(bad, where)


def validate_policy(on_bad_image: str) -> None:
    if on_bad_image not in ("skip", "fail"):
        raise DatasetError(f"on_bad_image={on_bad_image!r} is not valid; use 'skip' or 'fail'")


def load_folder_tensors(
    index: FolderIndex, channels: int, size: tuple[int, int], on_bad_image: str = "skip"
) -> tuple[torch.Tensor, torch.Tensor, FolderIndex]:
    """Decode every file into ``(N, C, H, W)`` images and ``(N,)`` labels."""
    validate_policy(on_bad_image)
    images, labels, bad = [], [], []
    for path, label in zip(index.files, index.labels):
        try:
            images.append(read_image(path, channels, size))
            labels.append(label)
        except BadImageError as exc:
            bad.append(f"{exc.path} ({exc.reason})")
    _report_bad(bad, on_bad_image, f"folder dataset {index.root}")
    if not images:
        raise DatasetError(f"folder dataset {index.root} has no readable images")
    present = set(labels)
    empty = [index.class_names[c] for c in range(len(index.class_names)) if c not in present]
    if empty:
        raise DatasetError(f"class folder(s) {', '.join(str(index.root / c) for c in empty)} have no readable images")
    index.skipped = bad
    return torch.stack(images), torch.tensor(labels), index


class StreamingFolder(Dataset):
    """Decodes files lazily (for trees too large to hold in memory).

    Headers are verified up front (:func:`verify_headers`), but a file can
    still fail to decode (a truncated body). With ``on_bad_image="skip"`` such a
    file is replaced by the next readable one of the split and reported once
    (per process) in a line on stderr naming it; with ``"fail"`` the error names the file.
    """

    def __init__(self, files: list[Path], labels: list[int], channels: int, size: tuple[int, int], on_bad_image: str = "skip"):
        validate_policy(on_bad_image)
        self.files, self.labels, self.channels, self.size = files, labels, channels, size
        self.on_bad_image = on_bad_image
        self._reported: set[Path] = set()

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        for offset in range(len(self.files)):
            j = (i + offset) % len(self.files)
            try:
                return {"image": read_image(self.files[j], self.channels, self.size), "label": torch.tensor(self.labels[j])}
            except BadImageError as exc:
                if self.on_bad_image == "fail":
                    raise DatasetError(f"unreadable file {exc.path} ({exc.reason})") from None
                if exc.path not in self._reported:
                    self._reported.add(exc.path)
                    report_skipped([f"{exc.path} ({exc.reason})"], "a streamed split", note="; using the next image instead")
        raise DatasetError(f"no readable image among {len(self.files)} files (first: {self.files[0] if self.files else 'none'})")


def verify_headers(index: FolderIndex, on_bad_image: str) -> FolderIndex:
    """Drop (or fail on) files Pillow cannot identify or whose header claims too many pixels, without decoding pixels."""
    from PIL import Image

    validate_policy(on_bad_image)
    keep_f, keep_l, bad = [], [], []
    for path, label in zip(index.files, index.labels):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: the limit is checked below
                with Image.open(path) as im:
                    fmt = im.format
                    check_pixel_limit(path, im.size)
                    im.verify()
            if fmt == "JPEG" and not _has_jpeg_end(path):  # verify() does not read a JPEG's body
                raise OSError("truncated JPEG (no end-of-image marker)")
            keep_f.append(path)
            keep_l.append(label)
        except BadImageError as exc:
            bad.append(f"{path} ({exc.reason})")
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad files
            bad.append(f"{path} ({exc or type(exc).__name__})")
    _report_bad(bad, on_bad_image, f"folder dataset {index.root}")
    return FolderIndex(index.root, index.class_names, keep_f, keep_l, bad)


def _has_jpeg_end(path: Path) -> bool:
    """A complete JPEG ends with the EOI marker FF D9 (trailing padding bytes allowed)."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 64))
        return b"\xff\xd9" in f.read()
