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
from dlbox.tasks.generate.config import (
    GAN_LOSSES, KIND_OF_FIELD, KINDS, LIKELIHOODS, MODELS, MONITORS, NOISE_SCHEDULES, SAMPLERS, GenerateConfig, GenerateOptions,
)

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


def check_options(cfg: GenerateConfig) -> None:
    """The ``generate`` section: valid values, the kind's own network, and no option of another kind."""
    g = cfg.generate
    if g.kind not in KINDS:
        raise ValueError(f"--model (generate.kind) {g.kind!r} is not valid; choose from {', '.join(KINDS)}")
    if cfg.model.name != MODELS[g.kind]:
        raise ValueError(f"generate --model {g.kind} trains the registered model {MODELS[g.kind]!r}; model.name is {cfg.model.name!r}")
    choices = [("likelihood", g.likelihood, LIKELIHOODS), ("gan_loss", g.gan_loss, GAN_LOSSES),
               ("noise_schedule", g.noise_schedule, NOISE_SCHEDULES), ("sampler", g.sampler, SAMPLERS)]
    for key, value, valid in choices:
        if value not in valid:
            raise ValueError(f"generate.{key} {value!r} is not valid; choose from {', '.join(valid)}")
    bounds = [("beta", g.beta, g.beta >= 0, "non-negative"), ("sigma", g.sigma, g.sigma > 0, "positive"),
              ("adam_beta1", g.adam_beta1, 0 <= g.adam_beta1 < 1, "in [0, 1)"), ("temperature", g.temperature, g.temperature > 0, "positive"),
              ("timesteps", g.timesteps, g.timesteps >= 1, "at least 1"), ("eta", g.eta, g.eta >= 0, "non-negative"),
              ("ddim_steps", g.ddim_steps, 1 <= g.ddim_steps <= g.timesteps, f"in 1..{g.timesteps} (generate.timesteps)"),
              ("samples", g.samples, g.samples >= 2, "at least 2"), ("grid", g.grid, g.grid >= 1, "at least 1"),
              ("interpolation_steps", g.interpolation_steps, g.interpolation_steps >= 2, "at least 2")]
    for key, value, ok, what in bounds:
        if not ok:
            raise ValueError(f"generate.{key} must be {what}, got {value}")
    defaults = GenerateOptions()
    for key, kind in KIND_OF_FIELD.items():
        if getattr(g, key) != getattr(defaults, key) and g.kind != kind:
            raise ValueError(f"generate.{key} does nothing with --model {g.kind} (only {kind} uses it); remove it")
    if g.kind == "vae" and g.likelihood != "gaussian" and g.sigma != defaults.sigma:
        raise ValueError("generate.sigma is the Gaussian decoder's pixel deviation; it needs generate.likelihood gaussian")
    if g.kind == "vae" and cfg.model.kwargs.get("likelihood", g.likelihood) != g.likelihood:
        raise ValueError(f"model.kwargs.likelihood {cfg.model.kwargs['likelihood']!r} differs from generate.likelihood "
                         f"{g.likelihood!r}; set generate.likelihood only")


def _check(cfg: GenerateConfig) -> None:
    check_options(cfg)
    kind = cfg.generate.kind
    if cfg.train.monitor not in MONITORS[kind]:
        raise ValueError(f"--monitor (train.monitor) {cfg.train.monitor!r} is not reported by --model {kind}; "
                         f"choose from {', '.join(MONITORS[kind])}")


def _load_data(cfg: GenerateConfig) -> Any:
    from dlbox.tasks.generate.data import load_generative_data

    return load_generative_data(cfg.data)


def _build_model(cfg: GenerateConfig, bundle: Any) -> torch.nn.Module:
    from dlbox.models import create_model

    kwargs = {"in_channels": bundle.in_channels, "image_size": list(bundle.image_size), **cfg.model.kwargs}
    if cfg.generate.kind == "vae":
        kwargs["likelihood"] = cfg.generate.likelihood
    return create_model(cfg.model.name, **kwargs)


def _prepare(cfg: GenerateConfig, bundle: Any, device: torch.device) -> dict[str, Any]:
    """The evaluator classifier (trained and cached on first use of a dataset), before any run directory exists."""
    from dlbox.tasks.generate.evaluator import load_evaluator

    model, run = load_evaluator(cfg, bundle, device)
    return {"evaluator": model, "evaluator_run": run}


def _param_groups(cfg: GenerateConfig, model: torch.nn.Module) -> dict[str, list[Any]]:
    if cfg.generate.kind == "gan":
        from dlbox.tasks.generate.gan_step import gan_param_groups

        return gan_param_groups(model)
    return {"model": [p for p in model.parameters() if p.requires_grad]}


def _make_step(run: Run) -> Any:
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


def _model_meta(run: Run) -> dict[str, Any]:
    from dlbox.engine.run import unwrap
    from dlbox.tasks.generate.data import data_levels

    g = run.cfg.generate
    meta: dict[str, Any] = {"kind": g.kind, "levels": data_levels(run.bundle)}
    if g.kind in ("vae", "gan"):
        meta["latent_dim"] = int(unwrap(run.eval_model).latent_dim)
    if g.kind == "diffusion":
        meta.update(noise_schedule=g.noise_schedule, timesteps=g.timesteps)
    return meta


def _finish(run: Run) -> dict[str, Any]:
    """Samples, interpolations and the yardstick (:func:`dlbox.tasks.generate.evaluate.measure`) of the trained model."""
    from dlbox.engine.run import unwrap
    from dlbox.tasks.generate.data import data_levels
    from dlbox.tasks.generate.evaluate import measure

    model = unwrap(run.eval_model).eval()
    report = measure(model, run.cfg.generate, run.bundle, data_levels(run.bundle), run.extras["evaluator"], run.run_dir,
                     seed=run.cfg.train.seed)
    return {**report, "evaluator": str(run.extras["evaluator_run"])}


RECIPE = Recipe(
    task="generate",
    config_type=GenerateConfig,
    load_data=_load_data,
    build_model=_build_model,
    make_step=_make_step,
    finish=_finish,
    monitors=tuple(dict.fromkeys(m for kind in KINDS for m in MONITORS[kind])),
    prepare=_prepare,
    check=_check,
    unused=UNUSED,
    param_groups=_param_groups,
    model_meta=_model_meta,
)

