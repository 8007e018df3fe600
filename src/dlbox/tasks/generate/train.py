"""``dlbox generate train --model vae|gan|flow|diffusion``: the generative recipe for the one training run.

Every kind trains through :func:`dlbox.engine.training.train` with its own step (one module each) and
network; what they share is the data (in memory, on a grid of levels: :mod:`.data`), the evaluator
classifier built before the run directory (:mod:`.evaluator`), and the finish (:mod:`.evaluate`):
samples, interpolations, the 2-D latent map, the Frechet distance with its floor, class scores,
likelihoods and the sampling time, into ``metrics.json``.

``model.json`` names the registered model (``vae``, ``gan``, ``realnvp`` or ``diffusion_unet``) and records
``kind`` and ``levels`` (and the noise schedule of a diffusion model), so a run directory is all that
``dlbox generate sample|eval|interpolate`` need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dlbox.engine.training import Recipe, Run
from dlbox.tasks.generate.config import KINDS, MONITORS, GenerateConfig, check_options

# Shared fields a generative run does not use (setting one is an error; the CLI hides their options):
UNUSED = (
    "init",  # every generative model trains from scratch
    "optim.backbone_lr_mult",  # no backbone/head split
    "data.augment",  # flips and shifts would change the distribution being modelled
    "data.num_workers",  # in-memory splits only (the test images are scored as a whole)
)


def train(cfg: GenerateConfig | None = None, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train a generative model as ``cfg`` says (or continue ``resume``), measure it; return the run directory."""
    from dlbox.engine.training import train as run_training

    return run_training(RECIPE, cfg or GenerateConfig(), resume, changes)


def check(cfg: GenerateConfig) -> None:
    check_options(cfg)
    kind = cfg.generate.kind
    if cfg.train.monitor not in MONITORS[kind]:
        raise ValueError(f"--monitor (train.monitor) {cfg.train.monitor!r} is not reported by --model {kind}; "
                         f"choose from {', '.join(MONITORS[kind])}")


def load_data(cfg: GenerateConfig) -> Any:
    from dlbox.tasks.generate.data import load_generative_data

    return load_generative_data(cfg.data)


def build_model(cfg: GenerateConfig, bundle: Any) -> torch.nn.Module:
    from dlbox.models import create_model

    kwargs = {"in_channels": bundle.in_channels, "image_size": list(bundle.image_size), **cfg.model.kwargs}
    if cfg.generate.kind == "vae":
        kwargs["likelihood"] = cfg.generate.likelihood
        kwargs["prior_components"] = cfg.generate.prior_components
    return create_model(cfg.model.name, **kwargs)


def prepare(cfg: GenerateConfig, bundle: Any, device: torch.device) -> dict[str, Any]:
    """The evaluator classifier (trained and cached on first use of a dataset), before any run directory exists."""
    from dlbox.tasks.generate.evaluator import load_evaluator

    model, run = load_evaluator(cfg, bundle, device)
    return {"evaluator": model, "evaluator_run": run}


def param_groups(cfg: GenerateConfig, model: torch.nn.Module) -> dict[str, list[Any]]:
    if cfg.generate.kind == "gan":
        from dlbox.tasks.generate.gan_step import gan_param_groups

        return gan_param_groups(model)
    return {"model": [p for p in model.parameters() if p.requires_grad]}


def make_step(run: Run) -> Any:
    kind = run.cfg.generate.kind
    if kind == "vae":
        from dlbox.tasks.generate.vae_step import VAEStep

        return VAEStep(run)
    if kind == "gan":
        from dlbox.tasks.generate.gan_step import GANStep

        return GANStep(run)
    if kind == "flow":
        from dlbox.tasks.generate.flow_step import FlowStep

        return FlowStep(run)
    from dlbox.tasks.generate.diffusion_step import DiffusionStep

    return DiffusionStep(run)


def model_meta(run: Run) -> dict[str, Any]:
    from dlbox.engine.run import unwrap
    from dlbox.tasks.generate.data import data_levels

    g = run.cfg.generate
    meta: dict[str, Any] = {"kind": g.kind, "levels": data_levels(run.bundle)}
    if g.kind in ("vae", "gan"):
        meta["latent_dim"] = int(unwrap(run.eval_model).latent_dim)
    if g.kind == "diffusion":
        meta.update(noise_schedule=g.noise_schedule, timesteps=g.timesteps)
    return meta


def finish(run: Run) -> dict[str, Any]:
    """Samples, interpolations and the yardstick (:func:`dlbox.tasks.generate.evaluate.measure`) of the trained model."""
    from dlbox.engine.run import unwrap
    from dlbox.tasks.generate.data import data_levels
    from dlbox.tasks.generate.evaluate import measure

    model = unwrap(run.eval_model).eval()
    if run.cfg.generate.kind == "vae" and model.prior_components > 0:
        _fit_prior(run, model)
    report = measure(model, run.cfg.generate, run.bundle, data_levels(run.bundle), run.extras["evaluator"], run.run_dir,
                     seed=run.cfg.train.seed)
    return {**report, "evaluator": str(run.extras["evaluator_run"])}


def _fit_prior(run: Run, model: torch.nn.Module) -> None:
    """Fit the VAE's mixture prior to the training codes and save the weights again (``model.safetensors`` was written
    before ``finish``; ``metrics.json``, written after, still marks the run complete)."""
    from dlbox.generative.latent_prior import fit_model_mixture
    from dlbox.model_io import read_model_json, save_model

    fit_model_mixture(model, run.bundle.train["image"], seed=run.cfg.train.seed)
    meta = {k: v for k, v in read_model_json(run.run_dir).items() if k not in ("name", "kwargs")}
    save_model(run.run_dir, model, meta)


RECIPE = Recipe.of(__name__, task="generate", config_type=GenerateConfig,
                   monitors=tuple(dict.fromkeys(m for kind in KINDS for m in MONITORS[kind])), unused=UNUSED)

