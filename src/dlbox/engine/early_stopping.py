"""Early stopping on a validation metric with patience (notes 2.1, overfitting)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EarlyStopping:
    monitor: str = "val_acc"
    patience: int | None = None  # None: never stop early, but still track the best value
    mode: str = "max"  # max for accuracies, min for losses
    best: float | None = None
    bad_epochs: int = 0

    def __post_init__(self) -> None:
        if self.mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {self.mode!r}")

    def update(self, value: float) -> bool:
        """Record an epoch's value; True when it is the best so far."""
        better = self.best is None or (value > self.best if self.mode == "max" else value < self.best)
        if better:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        return better

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_epochs > self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]


def mode_for(monitor: str) -> str:
    """``*loss*`` metrics are minimised, everything else maximised."""
    return "min" if "loss" in monitor else "max"
