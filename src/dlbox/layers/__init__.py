"""Reusable ``nn.Module`` building blocks, one concept per file."""

from dlbox.layers.activation import ACTIVATIONS, make_activation
from dlbox.layers.conv_block import ConvBlock, resolve_padding
from dlbox.layers.residual import ResidualBlock
from dlbox.layers.separable import SeparableConv2d

__all__ = ["ACTIVATIONS", "ConvBlock", "ResidualBlock", "SeparableConv2d", "make_activation", "resolve_padding"]
