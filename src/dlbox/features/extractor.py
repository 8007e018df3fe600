"""Hooking layers by their stable dotted names (``features.stage2.conv1``, ``head.fc``, ``relu4_2``).

:class:`FeatureExtractor` returns the outputs of the requested layers for a batch,
with gradients flowing back to the input. After the first call it stops the
forward pass as soon as every requested layer has produced its output (a style
loss on ``relu4_1`` never runs VGG's last block or classifier). An unknown name
raises :class:`UnknownLayerError` listing the valid names.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn


class UnknownLayerError(KeyError):
    """A layer name the model does not have; the message lists the valid ones."""

    def __init__(self, name: str, valid: Sequence[str]):
        close = difflib.get_close_matches(name, valid, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown layer {name!r}{hint}; valid layers: {', '.join(valid)}")


class _StopForward(Exception):
    pass


def layer_names(model: nn.Module, aliases: dict[str, str] | None = None) -> list[str]:
    """Every hookable name: the aliases first, then each submodule's dotted path in forward order."""
    return list(aliases or {}) + [n for n, _ in model.named_modules() if n]


def resolve_layer(model: nn.Module, name: str, aliases: dict[str, str] | None = None) -> str:
    """The dotted module path for ``name`` (an alias or a path); unknown names list the valid ones."""
    aliases = aliases or {}
    path = aliases.get(name, name)
    modules = dict(model.named_modules())
    if not path or path not in modules:
        raise UnknownLayerError(name, layer_names(model, aliases))
    return path


def disable_inplace(model: nn.Module) -> None:
    """In-place activations would overwrite a hooked output (and break its gradient)."""
    for m in model.modules():
        if getattr(m, "inplace", False) is True:
            m.inplace = False


def _first_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)):
        for o in out:
            if isinstance(o, torch.Tensor):
                return o
    if hasattr(out, "logits"):  # torchvision's InceptionOutputs / GoogLeNetOutputs
        return out.logits
    raise TypeError(f"layer output of type {type(out).__name__} holds no tensor")


class FeatureExtractor:
    """``extractor(x) -> {name: activation}`` for the requested layers of ``model``.

    ``names`` may be aliases (``relu4_2``) or dotted paths; the returned dict is
    keyed by the names as given. A module called several times in one forward
    pass (a shared ReLU in a residual block) reports its last call.
    """

    def __init__(self, model: nn.Module, names: Sequence[str], aliases: dict[str, str] | None = None, stop_early: bool = True):
        if not names:
            raise ValueError("no layers requested")
        self.model = model
        self.names = list(dict.fromkeys(names))
        self.paths = {n: resolve_layer(model, n, aliases) for n in self.names}
        modules = dict(model.named_modules())
        self.modules = {n: modules[p] for n, p in self.paths.items()}
        self.stop_early = stop_early
        self._calls: dict[str, int] | None = None  # calls per forward, learnt on the first pass
        disable_inplace(model)

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        outputs: dict[str, torch.Tensor] = {}
        counts = {n: 0 for n in self.names}
        learning = self._calls is None
        expected = self._calls

        def hook_for(name: str):
            def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
                outputs[name] = _first_tensor(output)
                counts[name] += 1
                if not learning and self.stop_early and all(counts[n] >= expected[n] for n in self.names):  # type: ignore[index]
                    raise _StopForward

            return hook

        handles = []
        seen: dict[int, list[str]] = {}
        for name, module in self.modules.items():  # two names for one module (alias + path) share a hook
            seen.setdefault(id(module), []).append(name)
        for names in seen.values():
            module = self.modules[names[0]]
            handles.append(module.register_forward_hook(_multi_hook([hook_for(n) for n in names])))
        try:
            self.model(x)
        except _StopForward:
            pass
        except (RuntimeError, ValueError):
            # A later layer failing (say, an input too small for the classifier) does not matter once
            # every requested layer has run; on the learning pass the call counts are then what was seen.
            if not all(n in outputs for n in self.names):
                raise
        finally:
            for h in handles:
                h.remove()
        missing = [n for n in self.names if n not in outputs]
        if missing:
            raise RuntimeError(f"layer(s) {', '.join(missing)} did not run in the forward pass")
        if learning:
            self._calls = counts
        return outputs

    def min_input_side(self, channels: int, candidates: Sequence[int] = (1, 2, 4, 8, 16, 32, 48, 64, 75, 96, 128, 160, 224)) -> int:
        """The smallest square side the model accepts up to the requested layers."""
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        for side in candidates:
            try:
                with torch.no_grad():
                    self(torch.zeros(1, channels, side, side, device=device))
                return side
            except (RuntimeError, ValueError):
                continue
        return candidates[-1]


def _multi_hook(hooks):
    def hook(module, inputs, output):
        for h in hooks:
            try:
                h(module, inputs, output)
            except _StopForward:
                if h is hooks[-1]:
                    raise
        return None

    return hook


def list_layers(model: nn.Module, in_channels: int, size: tuple[int, int], aliases: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per submodule: name, alias, type, parameters and output shape ``(C, H, W)`` for one image of ``size``."""
    by_path: dict[str, list[str]] = {}
    for alias, path in (aliases or {}).items():
        by_path.setdefault(path, []).append(alias)
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(_m, _i, out, name=name):
            try:
                shapes[name] = tuple(_first_tensor(out).shape[1:])
            except TypeError:
                pass

        handles.append(module.register_forward_hook(hook))
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    try:
        with torch.no_grad():
            model(torch.zeros(1, in_channels, *size, device=device))
    finally:
        for h in handles:
            h.remove()
    rows = []
    for name, module in model.named_modules():
        if not name:
            continue
        rows.append(
            {
                "name": name,
                "alias": ", ".join(by_path.get(name, [])),
                "type": type(module).__name__,
                "params": sum(p.numel() for p in module.parameters(recurse=False)),
                "shape": list(shapes.get(name, ())),
                "leaf": not any(True for _ in module.children()),
            }
        )
    return rows
