"""``dlbox dream`` configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.dream.deepdream import DreamConfig

# Without --size, an image whose longer side exceeds this is dreamt on at this size: the octave
# ascent's memory and time grow with the pixel count (a 5000x5000 photograph needed ~10 GB).
MAX_SIDE = 1024


@dataclass
class DreamRunConfig:
    """``dlbox dream``."""

    name: str | None = None
    out: str | None = None
    image: str = "sample:coffee"
    model: str = ""
    weights: str | None = None
    guide: str | None = None  # an image whose features are amplified (target layer)
    size: int | None = None  # longer side to work at (default: the image's own, at most MAX_SIDE = 1024)
    accelerator: str = "auto"  # cpu | cuda | mps | auto
    dream: DreamConfig = field(default_factory=DreamConfig)
