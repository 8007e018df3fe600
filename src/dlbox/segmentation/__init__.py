"""Semantic segmentation algorithms on tensors and modules (notes 3.11): loss, metrics, tiled prediction.

- :mod:`~dlbox.segmentation.loss`: per-pixel cross-entropy plus soft Dice, ignoring a label value;
- :mod:`~dlbox.segmentation.metrics`: confusion matrix, per-class IoU, mIoU, pixel accuracy;
- :mod:`~dlbox.segmentation.tiling`: whole-image prediction, tiled for the valid U-Net.

The models live in :mod:`dlbox.models` (``unet``, ``fcn*``, :mod:`dlbox.models.convolutionalize`); the
``dlbox segment`` task (data, training, evaluation, prediction, heatmaps) in :mod:`dlbox.tasks.segment`.
"""
