"""``dlbox style transfer``: Gatys optimisation of one image, written as a run directory (notes 3.9.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dlbox.style.gatys import GatysConfig, style_transfer
from dlbox.tasks.input_run import InputRunConfig


@dataclass
class TransferConfig(InputRunConfig):
    """``dlbox style transfer`` (saved as ``config.yaml`` in the run directory)."""

    model: str = "vgg19"  # InputRunConfig's model and size, with this command's defaults
    size: int = 256  # longer side of the content image (and of the result)
    content: str = "sample:astronaut"
    style: str = "sample:gravel"
    style_size: int | None = None  # longer side of the style image (default: size)
    gatys: GatysConfig = field(default_factory=GatysConfig)


def run_transfer(cfg: TransferConfig) -> Path:
    """Stylise ``cfg.content`` with ``cfg.style``; writes the images, a gallery and the losses before and after."""
    from dlbox.data.samples import image_label, load_image
    from dlbox.tasks.input_run import finish_run, open_network, save_gallery, save_png, start_run

    network = open_network(cfg, cfg.gatys.optimize)
    for layer in [*([cfg.gatys.content_layer] if cfg.gatys.content_layer else []), *cfg.gatys.style_layers]:
        network.resolve(layer)
    content = load_image(cfg.content, network.in_channels, max_side=cfg.size)
    style = load_image(cfg.style, network.in_channels, max_side=cfg.style_size or cfg.size)
    res = style_transfer(network, content, style, cfg.gatys)
    with start_run("style-transfer", cfg, cfg.name, cfg.out) as run_dir:
        save_png(content, run_dir / "content.png")
        save_png(style, run_dir / "style.png")
        save_png(res.image, run_dir / "stylised.png")
        save_gallery([content, style, res.image], [image_label(cfg.content), image_label(cfg.style), "stylised"], run_dir / "gallery.png", cols=3)
        metrics = {
            "model": network.describe(), "content": cfg.content, "style": cfg.style, "size": list(content.shape[-2:]),
            "content_layer": res.content_layer, "style_layers": res.style_layers, "alpha": cfg.gatys.alpha, "beta": cfg.gatys.beta,
            "init": cfg.gatys.init, "optimizer": cfg.gatys.optimize.optimizer,
            "before": res.before, "after": res.after, "noise_reference": res.reference,
            "style_reduction": res.before["style"] / res.after["style"] if res.after["style"] > 0 else None,
            "steps": res.optimize.steps, "seconds": round(res.optimize.seconds, 3),
            "seconds_per_step": round(res.optimize.seconds / max(1, res.optimize.steps), 4),
        }
        return finish_run(run_dir, metrics)
