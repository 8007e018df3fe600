"""``dlbox autoencode train|denoise|anomaly|manifold``: data -> autoencoder -> the shared loop -> a run directory.

Every mode trains the same way (mean-squared reconstruction through
:func:`dlbox.engine.loop.fit` with :class:`~dlbox.autoencoders.step.AutoencoderTask`)
and differs in what it trains on and what it measures afterwards:

- ``train``: all classes, clean inputs; reconstruction error and PSNR on the test split.
- ``denoise``: noisy inputs, clean targets; PSNR of noisy versus denoised held-out images.
- ``anomaly``: the normal classes only; ROC-AUC of reconstruction error, normal versus
  anomalous test images (and adversarial examples of a classifier, if one is given).
- ``manifold``: a 2-D code (by default); codes scattered by class and a grid of decodings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from dlbox.autoencoders.config import MODES, AutoencodeConfig
from dlbox.autoencoders.step import AutoencoderTask

TASK = "autoencode"


def check_config(cfg: AutoencodeConfig) -> None:
    """Reject invalid choices before any work or any run directory (messages list the valid values)."""
    from dlbox.engine.fabric_setup import PRECISIONS
    from dlbox.engine.optim import OPTIMIZERS, SCHEDULES
    from dlbox.engine.run import resolve_batch_size

    if cfg.mode not in MODES:
        raise ValueError(f"autoencode mode {cfg.mode!r} is not valid; use one of {', '.join(MODES)}")
    for option, value, valid in [
        ("optimizer", cfg.optim.optimizer, OPTIMIZERS),
        ("schedule", cfg.optim.schedule, SCHEDULES),
        ("precision", str(cfg.fabric.precision), PRECISIONS),
        ("monitor", cfg.train.monitor, ("val_loss", "val_psnr")),
    ]:
        if value not in valid:
            raise ValueError(f"{option} {value!r} is not valid; choose from {', '.join(valid)}")
    resolve_batch_size(cfg.train.batch_size, 1, 1)
    if cfg.noise < 0:
        raise ValueError(f"noise sigma must be non-negative, got {cfg.noise}")
    if cfg.mode == "denoise" and cfg.noise <= 0:
        raise ValueError("denoising needs a positive --noise sigma (e.g. 0.3)")
    if not 0 < cfg.anomaly.threshold_quantile < 1:
        raise ValueError(f"threshold quantile must lie in (0, 1), got {cfg.anomaly.threshold_quantile}")
    if cfg.grid < 2:
        raise ValueError(f"grid must be at least 2, got {cfg.grid}")


def train(cfg: AutoencodeConfig) -> Path:
    """Train an autoencoder as ``cfg`` says, run the mode's evaluation; return the complete run directory."""
    from dlbox.engine.fabric_setup import build_fabric, launch

    check_config(cfg)
    fabric = build_fabric(cfg.fabric)
    return Path(launch(fabric, _worker, cfg))


def prepare_data(cfg: AutoencodeConfig) -> tuple[Any, list[int] | None]:
    """The dataset (anomaly mode: train and validation splits keep only the normal classes)."""
    from dlbox.autoencoders.anomaly import filter_classes, normal_class_indices
    from dlbox.data import load_dataset

    bundle = load_dataset(cfg.data)
    for part in ("train", "val", "test"):
        if not isinstance(getattr(bundle, part), dict):
            raise ValueError("autoencoders need in-memory datasets; raise data.in_memory_limit_mb for this folder")
    normal = None
    if cfg.mode == "anomaly":
        normal = normal_class_indices(cfg.anomaly.normal, bundle.class_names)
        bundle = dataclasses.replace(bundle, train=filter_classes(bundle.train, normal), val=filter_classes(bundle.val, normal))
    return bundle, normal


def build_autoencoder(cfg: AutoencodeConfig, in_channels: int, image_size: tuple[int, int]) -> torch.nn.Module:
    from dlbox.models import create_model
    import dlbox.models.autoencoder  # noqa: F401  (registers conv_autoencoder until models/__init__ imports it)

    return create_model(cfg.model.name, **{"in_channels": in_channels, "image_size": list(image_size), **cfg.model.kwargs})


def _worker(fabric: Any, cfg: AutoencodeConfig) -> str:
    fabric.seed_everything(cfg.train.seed, verbose=False)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(cfg.train.deterministic or was_deterministic)
    try:
        return _train(fabric, cfg)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _train(fabric: Any, cfg: AutoencodeConfig) -> str:
    from dlbox.data import make_loader
    from dlbox.engine.optim import build_optimizer, build_scheduler
    from dlbox.engine.run import prepare_run_dir, resolve_batch_size, run_loop, total_steps
    from dlbox.engine.rundir import write_json

    bundle, normal = prepare_data(cfg)  # data errors surface before any run directory exists
    model = build_autoencoder(cfg, bundle.in_channels, bundle.image_size)
    run_dir = prepare_run_dir(fabric, cfg, TASK, None)
    if fabric.global_rank == 0:
        write_json(run_dir / "data.json", {**bundle.info, "class_names": bundle.class_names,
                                            "normal_classes": None if normal is None else [bundle.class_names[i] for i in normal]})

    optimizer = build_optimizer(model.parameters(), cfg.optim)
    model, optimizer = fabric.setup(model, optimizer)
    n_train = len(bundle.train["image"])
    batch_size = resolve_batch_size(cfg.train.batch_size, n_train, fabric.world_size)
    train_loader = make_loader(bundle.train, batch_size, shuffle=True, seed=cfg.train.seed, device=fabric.device,
                               rank=fabric.global_rank, world_size=fabric.world_size)
    val_loader = make_loader(bundle.val, cfg.train.eval_batch_size, shuffle=False, device=fabric.device)
    scheduler = build_scheduler(optimizer, cfg.optim, total_steps(cfg.train, len(train_loader)), len(train_loader))
    task = AutoencoderTask(fabric, model, optimizer, scheduler, val_loader, cfg.noise, cfg.clip_noise, cfg.train.seed)
    result = run_loop(fabric, task, train_loader, cfg.train, run_dir)
    if fabric.global_rank == 0:
        _finish(run_dir, cfg, bundle, normal, model, result, batch_size, fabric.device)
    fabric.barrier()
    return str(run_dir)


def _finish(run_dir: Path, cfg: AutoencodeConfig, bundle: Any, normal: list[int] | None, model: Any, result: Any,
            batch_size: int, device: torch.device) -> None:
    from dlbox.engine.rundir import write_json
    from dlbox.model_io import save_model
    from dlbox.plots import plot_curves
    from dlbox.engine.run import unwrap

    ae = unwrap(model).eval()
    meta = {
        "task": TASK,
        "mode": cfg.mode,
        "class_names": bundle.class_names,
        "input": {"channels": bundle.in_channels, "size": list(bundle.image_size)},
        "latent_dim": int(getattr(ae, "latent_dim", 0)) or None,
        "noise": cfg.noise,
        "normal_classes": None if normal is None else [bundle.class_names[i] for i in normal],
    }
    save_model(run_dir, ae, meta)
    plot_curves(result.state.history, run_dir / "curves.png")
    test = {k: v.to(device) for k, v in bundle.test.items()}
    report = evaluate_mode(cfg, ae, bundle, test, normal, run_dir)
    metrics = {
        "mode": cfg.mode,
        **report,
        "latent_dim": meta["latent_dim"],
        "epochs": result.state.epoch,
        "steps": result.state.step,
        "batch_size": batch_size,
        "stopped_by": result.stopped_by,
        "train_time_s": round(result.state.train_time, 3),
        "images_per_s": round(result.samples_per_s, 1),
        "best_" + result.monitor: result.best,
        "final_val_loss": result.state.history[-1].get("val_loss") if result.state.history else None,
        "model": dataclasses.asdict(cfg)["model"],
    }
    write_json(run_dir / "metrics.json", metrics)  # last: marks the run complete


def evaluate_mode(cfg: AutoencodeConfig, ae: torch.nn.Module, bundle: Any, test: dict[str, torch.Tensor],
                  normal: list[int] | None, run_dir: Path) -> dict[str, Any]:
    """The measurements and figures of ``cfg.mode`` on the held-out test split."""
    if cfg.mode == "denoise":
        from dlbox.autoencoders.denoise import denoise_report

        return denoise_report(ae, test["image"], cfg.noise, run_dir, seed=cfg.train.seed, clip=cfg.clip_noise, show=cfg.show)
    if cfg.mode == "anomaly":
        from dlbox.autoencoders.anomaly import anomaly_report

        assert normal is not None
        return anomaly_report(ae, bundle, test, normal, cfg.anomaly, run_dir, seed=cfg.train.seed, show=cfg.show)
    if cfg.mode == "manifold":
        from dlbox.autoencoders.manifold import manifold_report

        train = {k: v.to(test["image"].device) for k, v in bundle.train.items()}
        return manifold_report(ae, train, test, bundle.class_names, run_dir, grid=cfg.grid)
    return reconstruction_report(ae, test["image"], run_dir, show=cfg.show)


def reconstruction_report(ae: torch.nn.Module, images: torch.Tensor, run_dir: Path, show: int = 8) -> dict[str, Any]:
    """Test reconstruction MSE and PSNR, and ``reconstructions.png`` (inputs over outputs)."""
    from dlbox.autoencoders.metrics import mse_per_image, psnr, reconstruct

    rec = reconstruct(ae, images)
    save_rows([images, rec], ["input", "reconstruction"], run_dir / "reconstructions.png", show)
    return {"test_mse": float(mse_per_image(rec, images).mean()), "test_psnr": float(psnr(rec, images))}


def save_rows(rows: list[torch.Tensor], names: list[str], path: Path, show: int = 8, titles: list[list[str]] | None = None) -> None:
    """A gallery with one row per tensor of ``rows`` (the first ``show`` images each), values clamped to [0, 1]."""
    from dlbox.plots import plot_image_grid

    k = min(show, *(len(r) for r in rows))
    if k == 0:
        return
    tiles = torch.cat([r[:k].detach().float().cpu().clamp(0, 1) for r in rows]).permute(0, 2, 3, 1).numpy()
    labels = [titles[j][i] if titles else names[j] for j in range(len(rows)) for i in range(k)]
    plot_image_grid(tiles, labels, path, cols=k)
