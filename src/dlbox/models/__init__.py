"""Models: a registry of thin builders, one file per model family.

Importing this package registers every family; nothing else happens at import.
"""

from dlbox.models.registry import create_model, list_models, register_model

# Each import below registers its builders (one family per module).
from dlbox.models import mlp, cnn, resnet, xception, torchvision_adapter, unet, fcn, autoencoder, transformer_net  # noqa: E402,F401  isort: skip
from dlbox.models import darknet, yolov3, vae, dcgan, gan, realnvp, diffusion_unet  # noqa: E402,F401  isort: skip

__all__ = ["create_model", "list_models", "register_model"]
