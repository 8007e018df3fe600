"""Segmentation datasets as :class:`~dlbox.data.DataBundle` s of ``image`` + ``mask`` tensors (notes 3.11).

- ``shapes``: scenes of 1-4 shapes from the classification scene generator
  (:func:`dlbox.data.shapes.generate_shapes`); classes ``["background", *kinds]``.
- ``masks:IMAGES_DIR,MASKS_DIR``: image files with index/palette PNG masks of
  the same stem (:mod:`dlbox.data.masks`).

Splits: ``image (N, C, H, W)`` float [0, 1], ``mask (N, H, W)`` int64 with
values in ``0..K-1`` or the ignore index.
"""

from __future__ import annotations

import torch

from dlbox.config import DataConfig
from dlbox.data.bundle import DataBundle, take
from dlbox.data.folder import DatasetError
from dlbox.data.splits import stratified_split
from dlbox.tasks.segment.config import SegmentOptions

DATASETS = {
    "shapes": "generated RGB scenes of 1-4 shapes with per-pixel masks (background + data.shapes kinds)",
    "masks:IMAGES_DIR,MASKS_DIR": "images with index or palette PNG masks of the same stem",
}


def load_segmentation_data(data: DataConfig, options: SegmentOptions | None = None) -> DataBundle:
    """Load and split the dataset ``data.name`` into image/mask tensors."""
    options = options or SegmentOptions()
    if data.train_per_class is not None:
        raise DatasetError("data.train_per_class is a classification option; segmentation datasets have no per-image class")
    if data.name == "shapes":
        from dlbox.data.shapes import generate_shapes

        size = data.image_size or 64
        scenes = generate_shapes(
            data.num_samples, seed=data.split_seed, size=size, kinds=data.shapes,
            min_objects=options.min_objects, max_objects=options.max_objects,
        )
        tensors = {"image": scenes["image"], "mask": scenes["mask"]}
        strata = scenes["label"]  # the largest shape's kind: every split sees every kind
        classes = ["background", *data.shapes]
        info = {"dataset": "shapes", "objects": [options.min_objects, options.max_objects]}
    elif data.name.startswith("masks:"):
        from dlbox.data.masks import load_mask_tensors, pair_masks, parse_masks_name

        images_dir, masks_dir = parse_masks_name(data.name)
        pairs = pair_masks(images_dir, masks_dir)
        size = (data.image_size, data.image_size) if data.image_size else None
        images, masks, classes = load_mask_tensors(pairs, 1 if data.grayscale else 3, size, options.classes, options.ignore_index)
        tensors = {"image": images, "mask": masks}
        strata = torch.zeros(len(images), dtype=torch.long)
        info = {"dataset": data.name, "images_dir": str(images_dir), "masks_dir": str(masks_dir)}
    else:
        raise DatasetError(f"unknown segmentation dataset {data.name!r}; valid: {', '.join(DATASETS)}")
    tr, va, te = stratified_split(strata, data.val_fraction, data.test_fraction, data.split_seed)
    if len(tr) == 0:
        raise DatasetError(f"dataset {data.name!r} has no training images after the split ({len(strata)} in all)")
    image = tensors["image"]
    info.update(split_seed=data.split_seed, sizes={"train": len(tr), "val": len(va), "test": len(te)}, ignore_index=options.ignore_index)
    return DataBundle(
        train=take(tensors, tr), val=take(tensors, va), test=take(tensors, te), class_names=classes,
        in_channels=image.shape[1], image_size=(image.shape[2], image.shape[3]), info=info,
    )
