"""How the optimised image is represented (notes 3.9): pixels, or a decorrelated Fourier basis.

Both produce ``(B, C, H, W)`` images in [0, 1] from :meth:`ImageParam.image`.

- :class:`PixelParam`: the pixels themselves are the parameters; :meth:`project`
  clamps them back into [0, 1] after every step (projected gradient).
- :class:`FourierParam`: the parameters are a 2-D spectrum scaled by ``1/f^decay``
  (white noise in it is "natural-image" 1/f noise in pixel space), mapped through
  a fixed colour-decorrelation matrix and a sigmoid. Gradient steps are then
  roughly whitened, which removes the high-frequency patterns plain pixel
  ascent tends to produce (Olah et al., "Feature Visualization", 2017).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

PARAMETERIZATIONS = ("pixel", "fourier")

# Square root of ImageNet's colour covariance (from its SVD), as used by Lucid.
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR_SQRT = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()


class ImageParam(nn.Module):
    def image(self) -> torch.Tensor:  # (B, C, H, W) in [0, 1]
        raise NotImplementedError

    @torch.no_grad()
    def project(self) -> None:
        """Bring the parameters back into the valid range after an optimiser step."""

    @torch.no_grad()
    def blur(self, sigma: float) -> None:
        """Smooth the image in place (the blur regulariser); only pixel images support it."""
        raise ValueError("the blur regulariser needs the pixel parameterisation")


class PixelParam(ImageParam):
    def __init__(self, init: torch.Tensor, clamp: bool = True):
        super().__init__()
        if init.ndim != 4:
            raise ValueError(f"initial image must be (B, C, H, W), got shape {tuple(init.shape)}")
        self.x = nn.Parameter(init.detach().clone().float())
        self.clamp = clamp

    def image(self) -> torch.Tensor:
        return self.x

    @torch.no_grad()
    def project(self) -> None:
        if self.clamp:
            self.x.clamp_(0.0, 1.0)

    @torch.no_grad()
    def blur(self, sigma: float) -> None:
        from dlbox.optimize_input.regularizers import gaussian_blur

        self.x.copy_(gaussian_blur(self.x, sigma))


def _frequencies(h: int, w: int) -> torch.Tensor:
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    return torch.sqrt(fx * fx + fy * fy)  # (H, W//2+1)


class FourierParam(ImageParam):
    """``image = sigmoid(decorrelate(irfft2(scale * spectrum)))``, ``scale = 1 / max(f, 1/max(H, W))^decay``."""

    def __init__(self, shape: tuple[int, int, int, int], sd: float = 0.01, decay: float = 1.0, decorrelate: bool = True, generator: torch.Generator | None = None):
        super().__init__()
        b, c, h, w = shape
        freqs = _frequencies(h, w)
        scale = 1.0 / torch.clamp(freqs, min=1.0 / max(h, w)) ** decay
        self.register_buffer("scale", (scale * math.sqrt(h * w)).float(), persistent=False)
        self.spectrum = nn.Parameter(torch.randn(b, c, h, w // 2 + 1, 2, generator=generator) * sd)
        self.h, self.w, self.c = h, w, c
        self.decorrelate = decorrelate and c == 3

    def image(self) -> torch.Tensor:
        spec = torch.view_as_complex(self.spectrum) * self.scale
        x = torch.fft.irfft2(spec, s=(self.h, self.w), norm="ortho") / 4.0  # (B, C, H, W), roughly unit scale
        if self.decorrelate:
            x = torch.einsum("bchw,dc->bdhw", x, _COLOR_SQRT.to(x))
        return torch.sigmoid(x)


def make_param(kind: str, init: torch.Tensor | None = None, shape: tuple[int, int, int, int] | None = None, clamp: bool = True, generator: torch.Generator | None = None) -> ImageParam:
    """A parameterisation of ``kind`` starting from ``init`` (pixel only) or from noise of ``shape``."""
    if kind not in PARAMETERIZATIONS:
        raise ValueError(f"unknown parameterisation {kind!r}; valid: {', '.join(PARAMETERIZATIONS)}")
    if init is None and shape is None:
        raise ValueError("make_param needs an initial image or a shape")
    if kind == "pixel":
        if init is None:
            init = random_image(shape, generator)  # type: ignore[arg-type]
        return PixelParam(init, clamp)
    if init is not None:
        raise ValueError("the fourier parameterisation starts from noise; use --param pixel to start from an image")
    return FourierParam(shape, generator=generator)  # type: ignore[arg-type]


def random_image(shape: tuple[int, int, int, int], generator: torch.Generator | None = None, sd: float = 0.1) -> torch.Tensor:
    """Grey noise around 0.5: the notes' "start with a random image"."""
    return (0.5 + sd * torch.randn(shape, generator=generator)).clamp(0, 1)
