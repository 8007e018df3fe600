"""``dlbox autoencode train|denoise|anomaly|manifold``: convolutional autoencoders (notes 3.10.2, 3.10.3).

Registered in ``cli/main.py`` as ``app.add_typer(autoencode.app, name="autoencode")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from dlbox.cli.common import echo_run_dir, nested, parse_pairs, user_errors

app = typer.Typer(help="Autoencoders: reconstruction, denoising, anomaly detection, the data manifold.", no_args_is_help=True)

# Options every mode shares, declared once and passed through ``_run``.
DATA = typer.Option(None, help="digits | shapes | folder:PATH (default digits)")
MODEL_ARG = typer.Option(None, "--model-arg", help="model keyword, e.g. channels=[32,64] or convs_per_stage=2")
LATENT = typer.Option(None, min=1, help="size of the bottleneck code")
EPOCHS = typer.Option(None, min=1)
MAX_TIME = typer.Option(None, min=0.0, help="wall-clock training budget in seconds")
BATCH = typer.Option(None, min=1)
LR = typer.Option(None, min=0.0)
SEED = typer.Option(None)
IMAGE_SIZE = typer.Option(None, min=1, help="resize images to this square size")
ACCEL = typer.Option(None, help="cpu | cuda | mps | auto")
PROGRESS = typer.Option(None, "--progress/--no-progress")
NAME = typer.Option(None, help="run name under runs/autoencode/")
OUT = typer.Option(None, help="run directory (must not exist or be empty)")
CONFIG = typer.Option(None, help="YAML config file")
SET = typer.Option(None, "--set", help="config override, e.g. anomaly.threshold_quantile=0.99")


def _run(mode: str, common: dict[str, Any], extra: dict[str, Any]) -> None:
    from dlbox.autoencoders.config import default_config
    from dlbox.autoencoders.train import train as run_train
    from dlbox.config import resolve

    model_kwargs = parse_pairs(common["model_arg"], "--model-arg")
    if common["latent_dim"] is not None:
        model_kwargs["latent_dim"] = common["latent_dim"]
    direct = nested(
        data={"name": common["data"], "image_size": common["image_size"]},
        optim={"lr": common["lr"]},
        train={"epochs": common["epochs"], "max_time": common["max_time"], "batch_size": common["batch_size"],
               "seed": common["seed"], "progress": common["progress"]},
        fabric={"accelerator": common["accelerator"]},
    )
    if model_kwargs:
        direct["model"] = {"kwargs": model_kwargs}
    direct.update({k: v for k, v in {"name": common["name"], "out": str(common["out"]) if common["out"] else None}.items() if v is not None})
    for key, value in extra.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
            if value:
                direct[key] = value
        elif value is not None:
            direct[key] = value
    cfg = resolve(default_config(mode), common["config"], common["set_"], **direct)
    run_dir = run_train(cfg)
    _print_summary(run_dir)
    echo_run_dir(run_dir)


def _print_summary(run_dir: Path) -> None:
    import json

    m = json.loads((run_dir / "metrics.json").read_text())
    mode = m["mode"]
    if mode == "denoise":
        typer.echo(f"sigma {m['sigma']:g}: PSNR noisy {m['psnr_noisy']:.2f} dB -> denoised {m['psnr_denoised']:.2f} dB "
                   f"(gain {m['psnr_gain']:+.2f} dB) on {m['n_test']} held-out images")
    elif mode == "anomaly":
        typer.echo(f"normal {','.join(m['normal_classes'])} vs anomalous {','.join(m['anomalous_classes'])}: ROC-AUC {m['roc_auc']:.4f}; "
                   f"at threshold {m['threshold']:.4g}: detection {m['detection_rate']:.3f}, false alarms {m['false_alarm_rate']:.3f}")
        if "adversarial" in m:
            adv = m["adversarial"]
            auc = "n/a" if adv["roc_auc"] is None else f"{adv['roc_auc']:.4f}"
            typer.echo(f"adversarial examples ({adv['attack']['method']}, eps {adv['attack']['eps']:g}, {adv['n_anomalous']} successful): "
                       f"ROC-AUC {auc}, detection {adv['detection_rate'] or 0:.3f}")
    elif mode == "manifold":
        typer.echo(f"{m['latent_dim']}-d code: test PSNR {m['test_psnr']:.2f} dB, 5-NN accuracy in the code {m['knn5_accuracy']:.3f}")
    else:
        typer.echo(f"test reconstruction: MSE {m['test_mse']:.5f}, PSNR {m['test_psnr']:.2f} dB")
    typer.echo(f"{m['epochs']} epochs, {m['train_time_s']:.1f} s training, stopped by {m['stopped_by']}")


@app.command()
@user_errors
def train(
    data: Optional[str] = DATA, model_arg: Optional[list[str]] = MODEL_ARG, latent_dim: Optional[int] = LATENT,
    epochs: Optional[int] = EPOCHS, max_time: Optional[float] = MAX_TIME, batch_size: Optional[int] = BATCH,
    lr: Optional[float] = LR, seed: Optional[int] = SEED, image_size: Optional[int] = IMAGE_SIZE,
    accelerator: Optional[str] = ACCEL, progress: Optional[bool] = PROGRESS, name: Optional[str] = NAME,
    out: Optional[Path] = OUT, config: Optional[Path] = CONFIG, set_: Optional[list[str]] = SET,
) -> None:
    """Train a convolutional autoencoder on all classes; report test reconstruction error and PSNR."""
    _run("train", locals(), {})


@app.command()
@user_errors
def denoise(
    noise: Optional[float] = typer.Option(None, min=0.0, help="Gaussian noise sigma on the inputs (default 0.3)"),
    clip_noise: Optional[bool] = typer.Option(None, "--clip-noise/--no-clip-noise", help="clamp noisy images to [0, 1]"),
    data: Optional[str] = DATA, model_arg: Optional[list[str]] = MODEL_ARG, latent_dim: Optional[int] = LATENT,
    epochs: Optional[int] = EPOCHS, max_time: Optional[float] = MAX_TIME, batch_size: Optional[int] = BATCH,
    lr: Optional[float] = LR, seed: Optional[int] = SEED, image_size: Optional[int] = IMAGE_SIZE,
    accelerator: Optional[str] = ACCEL, progress: Optional[bool] = PROGRESS, name: Optional[str] = NAME,
    out: Optional[Path] = OUT, config: Optional[Path] = CONFIG, set_: Optional[list[str]] = SET,
) -> None:
    """Denoising autoencoder: noisy input, clean target; PSNR before and after on held-out images."""
    args = locals()
    _run("denoise", args, {"noise": args.pop("noise"), "clip_noise": args.pop("clip_noise")})


@app.command()
@user_errors
def anomaly(
    normal: Optional[str] = typer.Option(None, help="normal classes, comma-separated names or indices (default: first half), e.g. 0,1,2,3,4"),
    threshold_quantile: Optional[float] = typer.Option(None, min=0.0, max=1.0, help="threshold = this quantile of held-out normal errors (default 0.95)"),
    classifier: Optional[Path] = typer.Option(None, help="a classify run: also score adversarial examples against it"),
    attack_method: Optional[str] = typer.Option(None, help="fgsm | ifgsm | pgd | evolution (default pgd)"),
    attack_eps: Optional[float] = typer.Option(None, help="attack budget (default 0.3)"),
    attack_norm: Optional[str] = typer.Option(None, help="linf | l2"),
    attack_target: Optional[str] = typer.Option(None, help="none | random | CLASS (default random)"),
    data: Optional[str] = DATA, model_arg: Optional[list[str]] = MODEL_ARG, latent_dim: Optional[int] = LATENT,
    epochs: Optional[int] = EPOCHS, max_time: Optional[float] = MAX_TIME, batch_size: Optional[int] = BATCH,
    lr: Optional[float] = LR, seed: Optional[int] = SEED, image_size: Optional[int] = IMAGE_SIZE,
    accelerator: Optional[str] = ACCEL, progress: Optional[bool] = PROGRESS, name: Optional[str] = NAME,
    out: Optional[Path] = OUT, config: Optional[Path] = CONFIG, set_: Optional[list[str]] = SET,
) -> None:
    """Anomaly detection by reconstruction error: train on the normal classes; ROC-AUC on held-out images."""
    args = locals()
    section = {
        "normal": [c.strip() for c in normal.split(",") if c.strip()] if normal else None,
        "threshold_quantile": threshold_quantile,
        "classifier": str(classifier) if classifier else None,
        "attack_method": attack_method, "attack_eps": attack_eps, "attack_norm": attack_norm, "attack_target": attack_target,
    }
    _run("anomaly", args, {"anomaly": section})


@app.command()
@user_errors
def manifold(
    grid: Optional[int] = typer.Option(None, min=2, help="decodings per side of the latent grid (default 15)"),
    data: Optional[str] = DATA, model_arg: Optional[list[str]] = MODEL_ARG, latent_dim: Optional[int] = LATENT,
    epochs: Optional[int] = EPOCHS, max_time: Optional[float] = MAX_TIME, batch_size: Optional[int] = BATCH,
    lr: Optional[float] = LR, seed: Optional[int] = SEED, image_size: Optional[int] = IMAGE_SIZE,
    accelerator: Optional[str] = ACCEL, progress: Optional[bool] = PROGRESS, name: Optional[str] = NAME,
    out: Optional[Path] = OUT, config: Optional[Path] = CONFIG, set_: Optional[list[str]] = SET,
) -> None:
    """A 2-D latent map of the data manifold: codes scattered by class and a grid of decodings."""
    args = locals()
    _run("manifold", args, {"grid": args.pop("grid")})
