"""``folder:PATH``: an ImageFolder tree, one subfolder per class, any format Pillow reads.

Bad files (corrupt, truncated, not an image) are reported by path and either
skipped with one warning listing them (``on_bad_image="skip"``) or fail the run
(``"fail"``). Small trees are decoded once into tensors; larger ones stream.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import Dataset

from dlbox.data.images import BadImageError, read_image


class DatasetError(ValueError):
    """A dataset that cannot be used as given; the message says why and what is valid."""


@dataclass
class FolderIndex:
    root: Path
    class_names: list[str]
    files: list[Path]
    labels: list[int]
    skipped: list[str] = field(default_factory=list)  # "path: reason"


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


def _report_bad(bad: list[str], on_bad_image: str) -> None:
    if bad and on_bad_image == "fail":
        raise DatasetError(f"{len(bad)} unreadable file(s) (use --on-bad-image skip to skip them):\n  " + "\n  ".join(bad))
    if bad:
        warnings.warn(f"skipped {len(bad)} unreadable file(s):\n  " + "\n  ".join(bad), stacklevel=3)


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
    _report_bad(bad, on_bad_image)
    if not images:
        raise DatasetError(f"folder dataset {index.root} has no readable images")
    present = set(labels)
    empty = [index.class_names[c] for c in range(len(index.class_names)) if c not in present]
    if empty:
        raise DatasetError(f"class folder(s) {', '.join(str(index.root / c) for c in empty)} have no readable images")
    index.skipped = bad
    return torch.stack(images), torch.tensor(labels), index


def probe_image(path: Path, channels: int) -> tuple[int, int] | None:
    """(H, W) of the first readable image, or None."""
    try:
        t = read_image(path, channels)
        return tuple(t.shape[1:])  # type: ignore[return-value]
    except BadImageError:
        return None


class StreamingFolder(Dataset):
    """Decodes files lazily (for trees too large to hold in memory).

    Headers are verified up front (:func:`verify_headers`), but a file can
    still fail to decode (a truncated body). With ``on_bad_image="skip"`` such a
    file is replaced by the next readable one of the split and reported in a
    warning naming it; with ``"fail"`` the error names the file.
    """

    def __init__(self, files: list[Path], labels: list[int], channels: int, size: tuple[int, int], on_bad_image: str = "skip"):
        validate_policy(on_bad_image)
        self.files, self.labels, self.channels, self.size = files, labels, channels, size
        self.on_bad_image = on_bad_image

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
                warnings.warn(f"skipped unreadable file {exc.path} ({exc.reason}); using the next image instead", stacklevel=2)
        raise DatasetError(f"no readable image among {len(self.files)} files (first: {self.files[0] if self.files else 'none'})")


def verify_headers(index: FolderIndex, on_bad_image: str) -> FolderIndex:
    """Drop (or fail on) files Pillow cannot identify, without decoding pixels."""
    from PIL import Image

    validate_policy(on_bad_image)
    keep_f, keep_l, bad = [], [], []
    for path, label in zip(index.files, index.labels):
        try:
            with Image.open(path) as im:
                fmt = im.format
                im.verify()
            if fmt == "JPEG" and not _has_jpeg_end(path):  # verify() does not read a JPEG's body
                raise OSError("truncated JPEG (no end-of-image marker)")
            keep_f.append(path)
            keep_l.append(label)
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad files
            bad.append(f"{path} ({exc or type(exc).__name__})")
    _report_bad(bad, on_bad_image)
    return FolderIndex(index.root, index.class_names, keep_f, keep_l, bad)


def _has_jpeg_end(path: Path) -> bool:
    """A complete JPEG ends with the EOI marker FF D9 (trailing padding bytes allowed)."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 64))
        return b"\xff\xd9" in f.read()
