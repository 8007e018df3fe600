"""FLOPs of one forward pass by PyTorch's own per-operator formulas, per module: the summary's oracle.

:class:`FlopCounter` counts every aten operator that ``torch.utils.flop_counter.flop_registry``
has a formula for (the registry ``FlopCounterMode`` uses, so the numbers are ``FlopCounterMode``'s)
and attributes it to the innermost *tracked* module running at the time. It exists because
``FlopCounterMode``'s dispatch handler is wrapped to disable TorchDynamo, which imports
``torch._dynamo`` (about a second) on first use; this counter is not wrapped.
"""

from __future__ import annotations

from collections.abc import Iterable
import torch
import torch.nn as nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry


class FlopCounter(TorchDispatchMode):
    """Dispatch mode: ``total`` FLOPs, and ``per_module[module]`` FLOPs over all calls of each tracked module.

    FLOPs are PyTorch's: 2 per multiply-accumulate. An operator counts for the module on top of
    :attr:`stack` (kept by :func:`count_flops`'s hooks); operators outside every tracked module
    (functional code in a parent's ``forward``) count in ``total`` only.
    """

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # keep __torch_dispatch__ unwrapped: wrapping imports torch._dynamo on the first operator
        return False

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.per_module: dict[nn.Module, int] = {}
        self.stack: list[nn.Module] = []  # tracked modules running now, innermost last

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        packet = func._overloadpacket
        if packet not in flop_registry:
            # as FlopCounterMode: an operator without a formula is counted through its decomposition, if it has one
            with self:
                decomposed = func.decompose(*args, **kwargs)
            if decomposed is not NotImplemented:
                return decomposed
        out = func(*args, **kwargs)
        if packet in flop_registry:
            flops = int(flop_registry[packet](*args, **kwargs, out_val=out))
            self.total += flops
            if self.stack:
                self.per_module[self.stack[-1]] = self.per_module.get(self.stack[-1], 0) + flops
        return out


def count_flops(model: nn.Module, example: torch.Tensor, modules: Iterable[nn.Module] = ()) -> FlopCounter:
    """Run ``model(example)`` under a :class:`FlopCounter` (no gradients), attributing FLOPs to ``modules``.

    Forward hooks keep :attr:`FlopCounter.stack`; they are removed afterwards.
    """
    counter = FlopCounter()

    def enter(module: nn.Module, inputs: object) -> None:  # returns None: the inputs stay as they are
        counter.stack.append(module)

    def leave(module: nn.Module, inputs: object, output: object) -> None:  # None: the output stays
        counter.stack.pop()

    handles = []
    for module in modules:
        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave, always_call=True))
    try:
        with torch.no_grad(), counter:
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return counter
