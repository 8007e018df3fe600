"""``dlbox autoencode train|denoise|anomaly|manifold``: convolutional autoencoders (notes 3.10.2, 3.10.3).

Registered in ``cli/main.py`` as ``app.add_typer(autoencode.app, name="autoencode")``. The training
options every command shares come from :func:`dlbox.cli.training.training_command`; each command adds
its own (``--noise``, ``--normal``, ``--grid``, ...) to the ``autoencode`` config section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import typer

from dlbox.cli.common import given, user_errors
from dlbox.cli.training import print_run_summary, run_training, training_command
from dlbox.tasks.autoencode.config import default_config

app = typer.Typer(help="Autoencoders: reconstruction, denoising, anomaly detection, the data manifold.", no_args_is_help=True)

# Shared options for config fields autoencoders do not use (tasks.autoencode.train.UNUSED).
HIDDEN = ("init", "backbone_lr_mult", "augment")
LATENT = typer.Option(None, min=1, help="size of the bottleneck code (model.kwargs.latent_dim)")


def _command(mode: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``dlbox autoencode MODE`` with the shared training options (minus HIDDEN), defaults from ``mode``'s config."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        return app.command(mode)(user_errors(training_command(default_config(mode), hide=HIDDEN)(fn)))

    return register


def _run(mode: str, common: dict[str, Any], latent_dim: int | None, section: dict[str, Any]) -> None:
    from dlbox.tasks.autoencode.train import train as train_autoencoder

    defaults = default_config(mode)
    if latent_dim is not None:
        common["model_arg"] = [*(common["model_arg"] or []), f"latent_dim={latent_dim}"]
    run_dir = run_training(train_autoencoder, defaults, common, autoencode=given(mode=mode, **section))
    print_run_summary(run_dir, _headline)


def _headline(m: dict[str, Any]) -> str:
    mode = m["mode"]
    if mode == "denoise":
        return (f"sigma {m['sigma']:g}: PSNR noisy {m['psnr_noisy']:.2f} dB -> denoised {m['psnr_denoised']:.2f} dB "
                f"(gain {m['psnr_gain']:+.2f} dB) on {m['n_test']} held-out images")
    if mode == "manifold":
        return f"{m['latent_dim']}-d code: test PSNR {m['test_psnr']:.2f} dB, 5-NN accuracy in the code {m['knn5_accuracy']:.3f}"
    if mode != "anomaly":
        return f"test reconstruction: MSE {m['test_mse']:.5f}, PSNR {m['test_psnr']:.2f} dB"
    line = (f"normal {','.join(m['normal_classes'])} vs anomalous {','.join(m['anomalous_classes'])}: ROC-AUC {m['roc_auc']:.4f}; "
            f"at threshold {m['threshold']:.4g}: detection {m['detection_rate']:.3f}, false alarms {m['false_alarm_rate']:.3f}")
    if "adversarial" in m:
        adv = m["adversarial"]
        auc = "n/a" if adv["roc_auc"] is None else f"{adv['roc_auc']:.4f}"
        line += (f"\nadversarial examples ({adv['attack']['method']}, eps {adv['attack']['eps']:g}, {adv['n_anomalous']} successful): "
                 f"ROC-AUC {auc}, detection {adv['detection_rate'] or 0:.3f}")
    return line


@_command("train")
def train(common: dict, latent_dim: Optional[int] = LATENT) -> None:
    """Train a convolutional autoencoder on all classes; report test reconstruction error and PSNR."""
    _run("train", common, latent_dim, {})


@_command("denoise")
def denoise(
    common: dict,
    noise: Optional[float] = typer.Option(None, min=0.0, help="Gaussian noise sigma on the inputs (default: 0.3)"),
    clip_noise: Optional[bool] = typer.Option(None, "--clip-noise/--no-clip-noise", help="clamp noisy images to [0, 1]"),
    latent_dim: Optional[int] = LATENT,
) -> None:
    """Denoising autoencoder: noisy input, clean target; PSNR before and after on held-out images."""
    _run("denoise", common, latent_dim, {"noise": noise, "clip_noise": clip_noise})


@_command("anomaly")
def anomaly(
    common: dict,
    normal: Optional[str] = typer.Option(None, help="normal classes, comma-separated names or indices (default: first half), e.g. 0,1,2,3,4"),
    threshold_quantile: Optional[float] = typer.Option(None, min=0.0, max=1.0, help="threshold = this quantile of held-out normal errors (default: 0.95)"),
    attack_run: Optional[Path] = typer.Option(None, help="a classify run: also score adversarial examples of normal test images against it"),
    attack_method: Optional[str] = typer.Option(None, help="fgsm | ifgsm | pgd | evolution (default: pgd)"),
    attack_eps: Optional[float] = typer.Option(None, help="attack budget (default: 0.3)"),
    attack_norm: Optional[str] = typer.Option(None, help="linf | l2 (default: linf)"),
    attack_target: Optional[str] = typer.Option(None, help="none | random | CLASS (default: random)"),
    latent_dim: Optional[int] = LATENT,
) -> None:
    """Anomaly detection by reconstruction error: train on the normal classes; ROC-AUC on held-out images."""
    attack = {"run": str(attack_run) if attack_run else None, "method": attack_method, "eps": attack_eps,
              "norm": attack_norm, "target": attack_target}
    section = {
        "normal": [c.strip() for c in normal.split(",") if c.strip()] if normal else None,
        "threshold_quantile": threshold_quantile,
        "attack": attack,
    }
    _run("anomaly", common, latent_dim, {"anomaly": section})


@_command("manifold")
def manifold(
    common: dict,
    grid: Optional[int] = typer.Option(None, min=2, help="decodings per side of the latent grid (default: 15)"),
    latent_dim: Optional[int] = LATENT,
) -> None:
    """A 2-D latent map of the data manifold: codes scattered by class and a grid of decodings."""
    _run("manifold", common, latent_dim, {"grid": grid})
