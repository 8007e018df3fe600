"""Autoencoders and the data manifold (notes 3.10.2, 3.10.3).

- :mod:`~dlbox.autoencoders.train`: training through the shared loop, one run directory per mode.
- :mod:`~dlbox.autoencoders.denoise`: denoising, PSNR before and after.
- :mod:`~dlbox.autoencoders.anomaly`: anomaly detection by reconstruction error (ROC-AUC, thresholds).
- :mod:`~dlbox.autoencoders.manifold`: a 2-D map of the code and a grid of decodings.
- :mod:`~dlbox.autoencoders.metrics`: PSNR, per-image MSE, noise.

The model is ``conv_autoencoder`` in :mod:`dlbox.models.autoencoder`.
"""

import dlbox.models.autoencoder  # noqa: F401  registers conv_autoencoder
from dlbox.autoencoders.config import AnomalyConfig, AutoencodeConfig
from dlbox.autoencoders.metrics import add_noise, mse_per_image, psnr, reconstruction_error

__all__ = ["AnomalyConfig", "AutoencodeConfig", "add_noise", "mse_per_image", "psnr", "reconstruction_error"]
