"""Data sources, splits and loaders.

``load_dataset(DataConfig)`` returns a :class:`DataBundle` for ``digits``,
``shapes`` or ``folder:PATH``; :func:`make_loader` batches a split.
"""

from __future__ import annotations

from pathlib import Path

import torch

from dlbox.config import DataConfig
from dlbox.data.bundle import DataBundle, Split, split_len, take
from dlbox.data.folder import DatasetError
from dlbox.data.loader import TensorLoader, make_loader
from dlbox.data.splits import per_class_subset, stratified_split

DATASETS = {
    "digits": "scikit-learn's bundled 8x8 digits (1,797 images, 10 classes)",
    "shapes": "generated RGB scenes of circles, squares, triangles (data.shapes picks kinds)",
    "folder:PATH": "an ImageFolder tree: PATH/CLASS_NAME/IMAGE",
}

__all__ = [
    "DATASETS",
    "DataBundle",
    "DatasetError",
    "Split",
    "TensorLoader",
    "list_datasets",
    "load_dataset",
    "make_loader",
    "split_len",
    "take",
]


def list_datasets() -> list[str]:
    return list(DATASETS)


def expected_side(cfg: DataConfig) -> int | None:
    """The image side a dataset will have, known before loading it (None: only the files can tell)."""
    if cfg.image_size is not None:
        return cfg.image_size
    return {"digits": 8, "shapes": 64}.get(cfg.name)


def load_dataset(cfg: DataConfig) -> DataBundle:
    """Load, split and (optionally) subsample the dataset named by ``cfg.name``."""
    name = cfg.name
    if name == "digits":
        from dlbox.data.digits import load_digits_tensors

        images, labels = load_digits_tensors(cfg.image_size)
        tensors, classes = {"image": images, "label": labels}, [str(i) for i in range(10)]
    elif name == "shapes":
        from dlbox.data.shapes import generate_shapes

        size = cfg.image_size or 64
        tensors = generate_shapes(cfg.num_samples, seed=cfg.split_seed, size=size, kinds=cfg.shapes)
        tensors = {"image": tensors["image"], "label": tensors["label"]}
        classes = list(cfg.shapes)
    elif name.startswith("folder:"):
        return _load_folder(cfg, Path(name[len("folder:") :]))
    else:
        raise DatasetError(f"unknown dataset {name!r}; valid datasets: {', '.join(list_datasets())}")
    return _split(tensors, classes, cfg, info={"dataset": name})


def _split(tensors: dict[str, torch.Tensor], classes: list[str], cfg: DataConfig, info: dict) -> DataBundle:
    labels = tensors["label"]
    if len(labels) == 0:
        raise DatasetError(f"dataset {cfg.name!r} is empty")
    tr, va, te = stratified_split(labels, cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
    if cfg.train_per_class is not None:
        tr = tr[per_class_subset(labels[tr], cfg.train_per_class, cfg.split_seed)]
    image = tensors["image"]
    info = {**info, "split_seed": cfg.split_seed, "sizes": {"train": len(tr), "val": len(va), "test": len(te)}}
    return DataBundle(
        train=take(tensors, tr),
        val=take(tensors, va),
        test=take(tensors, te),
        class_names=classes,
        in_channels=image.shape[1],
        image_size=(image.shape[2], image.shape[3]),
        info=info,
    )


def _load_folder(cfg: DataConfig, root: Path) -> DataBundle:
    from dlbox.data.folder import (
        StreamingFolder, choose_image_size, header_sizes, load_folder_tensors, report_size, require_classes, scan_folder,
        verify_headers,
    )

    index = scan_folder(root)
    require_classes(index, 2)  # a one-class folder fails now, not after an epoch of training
    channels = 1 if cfg.grayscale else 3
    if cfg.image_size:
        size, reason = (cfg.image_size, cfg.image_size), "data.image_size"
    else:  # from the headers of all images (no pixels decoded): no single large file decides it
        known = [s for s in header_sizes(index.files) if s is not None]
        if not known:
            raise DatasetError(f"folder dataset {root} has no readable images")
        size, reason = choose_image_size(known)
        if any(s != size for s in known):
            report_size(size, reason, f"folder dataset {root}")
    info = {"dataset": cfg.name, "root": str(root), "image_size_chosen": list(size), "image_size_reason": reason}
    est_mb = len(index.files) * channels * size[0] * size[1] * 4 / 2**20
    if est_mb <= cfg.in_memory_limit_mb:
        images, labels, index = load_folder_tensors(index, channels, size, cfg.on_bad_image)
        info["skipped"] = index.skipped
        return _split({"image": images, "label": labels}, index.class_names, cfg, info)
    # Large tree: verify headers, split indices, stream pixels through DataLoader workers.
    index = verify_headers(index, cfg.on_bad_image)
    if not index.files:
        raise DatasetError(f"folder dataset {root} has no readable images")
    labels = torch.tensor(index.labels)
    tr, va, te = stratified_split(labels, cfg.val_fraction, cfg.test_fraction, cfg.split_seed)

    def part(idx: torch.Tensor) -> StreamingFolder:
        return StreamingFolder([index.files[i] for i in idx], [index.labels[i] for i in idx], channels, size, cfg.on_bad_image)

    info.update(skipped=index.skipped, streaming=True, sizes={"train": len(tr), "val": len(va), "test": len(te)})
    return DataBundle(part(tr), part(va), part(te), index.class_names, channels, size, info)
