"""The one input-optimisation loop of notes 3.9: parameterisations, robustness transforms, regularisers."""

from dlbox.optimize_input.loop import OptimizeConfig, OptimizeResult, measure, optimize_image
from dlbox.optimize_input.parameterization import FourierParam, PixelParam, make_param, random_image

__all__ = ["FourierParam", "OptimizeConfig", "OptimizeResult", "PixelParam", "make_param", "measure", "optimize_image", "random_image"]
