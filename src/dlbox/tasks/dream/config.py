"""``dlbox dream`` configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.dream.deepdream import DreamConfig

@dataclass
class DreamRunConfig:
    """``dlbox dream``."""

    name: str | None = None
    out: str | None = None
    image: str = "sample:coffee"
    model: str = ""
    weights: str | None = None
    guide: str | None = None  # an image whose features are amplified (target layer)
    size: int | None = None  # longer side to work at (default: the image's own size)
    accelerator: str = "auto"  # cpu | cuda | mps | auto
    dream: DreamConfig = field(default_factory=DreamConfig)
