"""Which network to look inside: a run directory, a registered dlbox model, or a torchvision classifier.

``load_network(spec, weights)`` resolves ``spec`` in this order:

1. ``torchvision:NAME`` (or a bare torchvision name such as ``vgg19``, ``resnet50``,
   ``googlenet``, ``inception``): ImageNet weights from torch hub's cache, else a
   clear error naming the missing file; ``weights=FILE`` loads a local state dict;
   ``weights="random"`` keeps the random initialisation (seeded, so every command
   gets the same network; runs anywhere, but the pictures are of much lower
   quality: a random network has learned no features).
2. a directory: a dlbox run directory (``model.json`` + ``model.safetensors``).
3. a registered dlbox model name (``cnn``, ``resnet``...): random weights unless
   ``weights=FILE``; ``model_args`` are its builder keywords.

Every network takes ``(B, C, H, W)`` images in [0, 1]: dlbox models by contract,
torchvision ones through the adapter's normalisation layer (``features.normalize``),
so input optimisation always works in pixel space and the model normalises itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

TORCHVISION_PREFIX = "torchvision:"
SHORT_NAMES = {"inception": "inception_v3", "vgg": "vgg19"}
RANDOM = "random"
RANDOM_SEED = 0  # random weights are drawn from this seed: reproducible across commands


@dataclass
class Network:
    """A frozen model in eval mode plus what input optimisation needs to know about it."""

    model: nn.Module
    spec: str
    kind: str  # run | dlbox | torchvision
    in_channels: int
    image_size: tuple[int, int] | None  # the size it was trained on; None: any size (global pooling)
    class_names: list[str] | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # short name -> dotted module path
    weights: str = "trained"  # trained | imagenet | random | FILE
    run_dir: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else getattr(self.model, "num_classes", None)

    @property
    def default_size(self) -> tuple[int, int]:
        return self.image_size or (224, 224)

    def describe(self) -> str:
        return f"{self.spec} ({self.kind}, weights: {self.weights})"

    def extractor(self, names: list[str], stop_early: bool = True):
        """A :class:`~dlbox.features.extractor.FeatureExtractor` on this network (aliases understood)."""
        from dlbox.features.extractor import FeatureExtractor

        return FeatureExtractor(self.model, names, self.aliases, stop_early)

    def layer_names(self) -> list[str]:
        from dlbox.features.extractor import layer_names

        return layer_names(self.model, self.aliases)

    def resolve(self, name: str) -> str:
        """The dotted path of ``name``; an unknown name lists the valid ones."""
        from dlbox.features.extractor import resolve_layer

        return resolve_layer(self.model, name, self.aliases)


def _freeze(model: nn.Module) -> nn.Module:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def torchvision_names() -> list[str]:
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def load_network(
    spec: str | Path,
    weights: str | None = None,
    model_args: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
) -> Network:
    """Resolve ``spec`` (see the module docstring) to a frozen :class:`Network`."""
    from dlbox.models import list_models

    text = str(spec)
    if text.startswith(TORCHVISION_PREFIX):
        net = _torchvision(text[len(TORCHVISION_PREFIX) :], weights)
    elif Path(text).is_dir():
        if weights not in (None, "trained"):
            raise ValueError(f"--weights applies to torchvision or registered models, not to the run directory {text}")
        net = _run_dir(Path(text))
    elif text in list_models() and text != "torchvision":
        net = _dlbox_model(text, weights, model_args or {})
    elif SHORT_NAMES.get(text, text) in torchvision_names():
        net = _torchvision(SHORT_NAMES.get(text, text), weights)
    else:
        looks_like_path = "/" in text or text.startswith(".")
        where = f"no run directory {text} exists" if looks_like_path else f"{text!r} is not a run directory, a dlbox model or a torchvision model"
        raise ValueError(
            f"unknown model: {where}. Use a run directory, one of the dlbox models "
            f"({', '.join(m for m in list_models() if m != 'torchvision')}), or torchvision:NAME "
            f"(e.g. vgg16, vgg19, resnet50, googlenet, inception_v3)"
        )
    net.model = _freeze(net.model.to(device))
    return net


def _run_dir(path: Path) -> Network:
    from dlbox.model_io import load_model

    model = load_model(path)
    meta = dict(getattr(model, "dlbox_meta", {}))
    inp = meta.get("input", {})
    kwargs = model.dlbox_config["kwargs"]  # type: ignore[attr-defined]
    channels = int(inp.get("channels", kwargs.get("in_channels", 3)))
    size = inp.get("size", kwargs.get("image_size"))
    return Network(
        model=model, spec=str(path), kind="run", in_channels=channels,
        image_size=_hw(size) if size is not None else None, class_names=meta.get("class_names"),
        aliases=_logit_alias(model), weights="trained", run_dir=path, meta=meta,
    )


def _hw(size: Any) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def _dlbox_model(name: str, weights: str | None, model_args: dict[str, Any]) -> Network:
    from dlbox.models import create_model

    kwargs = {"in_channels": 3, "num_classes": 10, "image_size": 64, **model_args}
    with torch.random.fork_rng():
        torch.manual_seed(RANDOM_SEED)
        model = create_model(name, **kwargs)
    label = RANDOM
    if weights not in (None, RANDOM):
        from dlbox.model_io import load_state_file

        state = load_state_file(weights)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise ValueError(f"--weights {weights} does not fit model {name!r} {kwargs}: {str(exc).splitlines()[0]}") from None
        label = str(weights)
    return Network(
        model=model, spec=name, kind="dlbox", in_channels=int(kwargs["in_channels"]),
        image_size=_hw(kwargs["image_size"]), class_names=None, aliases=_logit_alias(model), weights=label,
    )


def _torchvision(arch: str, weights: str | None) -> Network:
    import torchvision

    from dlbox.models import create_model
    from dlbox.models.torchvision_adapter import WeightsUnavailableError, pretrained_state

    if arch not in torchvision_names():
        raise ValueError(f"unknown torchvision model {arch!r}; valid: {', '.join(torchvision_names())}")
    with warnings.catch_warnings(), torch.random.fork_rng():  # googlenet/inception warn about their default init
        warnings.simplefilter("ignore")
        torch.manual_seed(RANDOM_SEED)  # "random" weights are the same in every run
        model = create_model("torchvision", arch=arch, num_classes=1000, in_channels=3)
    # (googlenet and inception_v3 get their (x - 0.5) / 0.5 input normalisation from the adapter.)
    try:
        categories = list(torchvision.models.get_model_weights(arch).DEFAULT.meta["categories"])
    except (ValueError, KeyError, AttributeError):
        categories = None
    if weights == RANDOM:
        label = RANDOM
    else:
        try:
            state = pretrained_state(arch, weights)  # cache or a clear error naming the missing file
        except WeightsUnavailableError as exc:
            raise WeightsUnavailableError(
                f"{exc} Or pass --weights random to use randomly initialised weights "
                "(runs offline, but a random network has learned nothing: much lower-quality pictures)."
            ) from None
        _load_full_state(model, state, arch)
        label = str(weights) if weights else "imagenet"
    return Network(
        model=model, spec=f"{TORCHVISION_PREFIX}{arch}", kind="torchvision", in_channels=3, image_size=None,
        class_names=categories, aliases={**_vgg_aliases(model), **_logit_alias(model)}, weights=label,
    )


def _load_full_state(model: nn.Module, state: dict[str, torch.Tensor], arch: str) -> None:
    """torchvision's parameter names, split between the adapter's ``features`` and ``head``."""
    for part in ("features", "head"):
        target = getattr(model, part).state_dict()
        matched = {k: v for k, v in state.items() if k in target and target[k].shape == v.shape}
        missing = [k for k in target if k not in matched]
        if missing:
            raise ValueError(
                f"the weights do not fit torchvision:{arch} ({len(missing)} of its {part} tensors missing or "
                f"mis-shaped, e.g. {missing[0]}); is the file for that model?"
            )
        target.update(matched)
        getattr(model, part).load_state_dict(target)


def _vgg_aliases(model: nn.Module) -> dict[str, str]:
    """``conv1_1``, ``relu1_1``, ..., ``pool5`` for torchvision VGGs (the names the style-transfer papers use)."""
    body = getattr(model.features, "features", None)
    if not isinstance(body, nn.Sequential):
        return {}
    aliases, block, k = {}, 1, 1
    for i, m in enumerate(body):
        path = f"features.features.{i}"
        if isinstance(m, nn.Conv2d):
            aliases[f"conv{block}_{k}"] = path
        elif isinstance(m, nn.ReLU):
            aliases[f"relu{block}_{k}"] = path
            k += 1
        elif isinstance(m, nn.MaxPool2d):
            aliases[f"pool{block}"] = path
            block, k = block + 1, 1
    return aliases


def _logit_alias(model: nn.Module) -> dict[str, str]:
    """``logits``: the last linear layer (a classifier's class scores)."""
    linear = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    return {"logits": linear[-1]} if linear else {}
