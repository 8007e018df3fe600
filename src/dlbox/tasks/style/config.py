"""``dlbox style train``: the run configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlbox.config import DataConfig, ModelConfig, OptimConfig, TrainConfig, TrainRunConfig


@dataclass
class StyleOptions:
    """The perceptual-loss method (Johnson et al.; notes 3.9.3): which style, which loss network, which weights."""

    image: str = "sample:chelsea"  # the style image: sample:NAME or a file
    style_size: int | None = None  # longer side of the style image (default: data.image_size)
    loss_model: str = "vgg16"  # the fixed loss network (run dir, dlbox model or torchvision:NAME)
    weights: str | None = None  # for a torchvision loss network: FILE or "random"
    content_layer: str | None = None  # default relu2_2 on VGG (Johnson et al.)
    style_layers: list[str] = field(default_factory=list)  # default relu1_2, relu2_2, relu3_3, relu4_3
    style_weights: list[float] = field(default_factory=list)
    alpha: float = 1.0  # content weight
    beta: float = 5.0  # style weight
    tv: float = 0.0  # total-variation weight
    balance: bool = True  # divide each loss by the untrained network's value on the first batch


@dataclass
class StyleTrainConfig(TrainRunConfig):
    """``dlbox style train``: content images are ``data`` (samples | folder:PATH | digits | shapes), square crops
    of ``data.image_size``; the transformation network is ``model``."""

    data: DataConfig = field(default_factory=lambda: DataConfig(name="samples", image_size=128))
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="style_transformer", kwargs={"channels": [32, 64, 128], "res_blocks": 5}))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(optimizer="adam", lr=1e-3, schedule="none"))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=2, batch_size=4, eval_batch_size=8, log_every=10, monitor="val_loss"))
    style: StyleOptions = field(default_factory=StyleOptions)


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A ``config.yaml`` written before the shared vocabulary (flat fields, ``net``, ``size``) in today's keys."""
    data = dict(data)
    if not isinstance(data.get("data"), str) and "net" not in data:
        return data
    style = dict(data.get("style") if isinstance(data.get("style"), dict) else {})
    if isinstance(data.get("style"), str):
        style["image"] = data.pop("style")
    for key in ("style_size", "loss_model", "weights", "content_layer", "style_layers", "style_weights", "alpha", "beta", "tv", "balance"):
        if key in data:
            style[key] = data.pop(key)
    data["style"] = style
    content, size = data.pop("data", "samples"), data.pop("size", 128)
    data["data"] = {"name": content, "image_size": size}
    net = data.pop("net", None)
    if net:
        data["model"] = {"name": "style_transformer", "kwargs": dict(net)}
    return data
