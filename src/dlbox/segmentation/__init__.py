"""Semantic segmentation (notes 3.11): convolutionalization, FCN-32s/16s/8s and U-Net.

Importing this package registers the ``unet`` and ``fcn32s``/``fcn16s``/``fcn8s``
models (until ``dlbox.models`` imports those families itself).
"""

from dlbox.segmentation.convolutionalize import ConvolutionalizedClassifier, convolutionalize
from dlbox.models import fcn as _fcn, unet as _unet  # noqa: E402,F401  registers the models  isort: skip

__all__ = ["ConvolutionalizedClassifier", "convolutionalize"]
