"""``dlbox dream`` configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.dream.deepdream import DreamConfig
from dlbox.tasks.input_run import InputRunConfig

# Without --size, an image whose longer side exceeds this is dreamt on at this size: the octave
# ascent's memory and time grow with the pixel count (a 5000x5000 photograph needed ~10 GB).
MAX_SIDE = 1024


@dataclass
class DreamRunConfig(InputRunConfig):
    """``dlbox dream``; ``size``: the longer side to work at (default: the image's own, at most MAX_SIDE = 1024)."""

    image: str = "sample:coffee"
    guide: str | None = None  # an image whose features are amplified (target layer)
    dream: DreamConfig = field(default_factory=DreamConfig)
