"""Autoencoders and the data manifold (notes 3.10.2, 3.10.3): pure functions on tensors and modules.

- :mod:`~dlbox.autoencoders.metrics`: PSNR, per-image MSE, noise, reconstructions and codes.
- :mod:`~dlbox.autoencoders.denoise`: denoising, PSNR before and after.
- :mod:`~dlbox.autoencoders.anomaly`: normal classes, thresholds, ROC-AUC and detection rates.
- :mod:`~dlbox.autoencoders.manifold`: a 2-D map of the code and a grid of decodings.

The model is ``conv_autoencoder`` in :mod:`dlbox.models.autoencoder`; training runs, reports and
figures (``dlbox autoencode``) are in :mod:`dlbox.tasks.autoencode`.
"""

from dlbox.autoencoders.metrics import add_noise, mse_per_image, psnr, reconstruction_error

__all__ = ["add_noise", "mse_per_image", "psnr", "reconstruction_error"]
