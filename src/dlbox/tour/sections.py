"""The notes' table of contents (section number, title), in order: the outline of the tour's index page."""

from __future__ import annotations

NOTES_TITLE = "Deep Learning (University of Bologna, 2023-2024)"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("1", "Neural networks expressivity"),
    ("1.1", "Perceptron"),
    ("1.2", "Multi-layer perceptron"),
    ("1.2.1", "Parameters"),
    ("2", "Training"),
    ("2.1", "Gradient descent"),
    ("2.2", "Backpropagation"),
    ("3", "Computer vision"),
    ("3.1", "Convolutions"),
    ("3.1.1", "Parameters"),
    ("3.2", "Backpropagation"),
    ("3.3", "Pooling layer"),
    ("3.4", "Inception hypothesis"),
    ("3.4.1", "Parameters"),
    ("3.5", "Residual learning"),
    ("3.6", "Transfer learning and fine-tuning"),
    ("3.7", "Other types of convolution"),
    ("3.8", "Normalization layer"),
    ("3.9", "Gradient ascent"),
    ("3.9.1", "Hidden layer visualization"),
    ("3.9.2", "Inceptionism"),
    ("3.9.3", "Style transfer"),
    ("3.10", "Data manifold"),
    ("3.10.1", "Adversarial attacks"),
    ("3.10.2", "Manifold"),
    ("3.10.3", "Autoencoders"),
    ("3.11", "Segmentation"),
    ("3.11.1", "Convolutionalization"),
    ("3.11.2", "U-net"),
    ("3.12", "Object detection"),
    ("3.12.1", "YOLOv3"),
    ("3.12.2", "Multi-scale processing"),
    ("3.12.3", "Non-maximum suppression"),
    ("4", "Generative models"),
    ("4.1", "Variational autoencoder (VAE)"),
    ("4.1.1", "Training"),
    ("4.1.2", "Inference"),
    ("4.2", "Generative adversarial network (GAN)"),
    ("4.3", "Normalizing flows"),
    ("4.4", "Diffusion models"),
)


def depth(number: str) -> int:
    """``"3.11.2"`` -> 3: how deep the section sits in the outline."""
    return number.count(".") + 1
