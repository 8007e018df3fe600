"""``dlbox generate train|sample|eval|interpolate --model vae|gan|flow|diffusion``: generative models (notes 4).

Registered in ``cli/main.py`` as ``app.add_typer(generate.app, name="generate")``. ``train`` takes the shared
training options (:func:`dlbox.cli.training.training_command`) plus the ``generate`` section's; here
``--model`` names the kind of generative model, and each kind has its own defaults
(:func:`dlbox.tasks.generate.config.default_config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from dlbox.cli.common import OptionSpec, echo_run_dir, user_errors, with_options
from dlbox.cli.training import run_training, training_command
from dlbox.tasks.generate.config import default_config

app = typer.Typer(help="Generative models: VAE, GAN, normalizing flow, diffusion. Train, sample, evaluate, interpolate.",
                  no_args_is_help=True)

# Shared options for config fields generative runs do not use (tasks.generate.train.UNUSED), and --model (the kind here).
HIDDEN = ("model", "init", "backbone_lr_mult", "augment")
RUN = typer.Option(..., help="a finished `dlbox generate train` run directory")
# The options of the commands that draw from a finished run (sample, eval, interpolate), defined once.
_DRAWING: dict[str, OptionSpec] = {
    "seed": (Optional[int], (), "random seed of the draws (default: 0)", None),
    "sampler": (Optional[str], (), "diffusion: ddim | ddpm (ancestral, T steps) (default: the run's)", None),
    "ddim_steps": (Optional[int], (), "diffusion: DDIM steps (default: the run's)", None),
    "eta": (Optional[float], (), "diffusion: DDIM noise, 0 deterministic .. 1 DDPM-like (default: the run's)", None),
    "temperature": (Optional[float], (), "flow: sample z ~ N(0, T^2 I) (default: the run's)", None),
    "prior": (Optional[str], (), "vae: mixture (fitted to the training codes) | standard (N(0, I)) (default: the run's)", None),
    "accelerator": (Optional[str], (), "cpu | cuda | mps | auto (default: auto)", None),
}


def _draw_options(common: dict[str, Any]) -> dict[str, Any]:
    """The sampler options as keywords (None: the run's own), the seed and the device."""
    from dlbox.tasks.input_run import resolve_accelerator

    return {"seed": common["seed"] or 0, "device": str(resolve_accelerator(common["accelerator"] or "auto")),
            **{k: common[k] for k in ("sampler", "ddim_steps", "eta", "temperature", "prior")}}


@app.command()
@user_errors
@training_command(default_config("diffusion"), hide=HIDDEN)
def train(
    common: dict,
    kind: Optional[str] = typer.Option(None, "--model", help="vae | gan | flow | diffusion (required unless --resume or a config file names it)"),
    latent_dim: Optional[int] = typer.Option(None, min=1, help="vae, gan: size of the latent code (model.kwargs.latent_dim)"),
    beta: Optional[float] = typer.Option(None, min=0.0, help="vae: weight of the KL term (default: 1)"),
    likelihood: Optional[str] = typer.Option(None, help="vae: discretized | gaussian (default: discretized)"),
    prior: Optional[str] = typer.Option(None, help="vae: samples draw codes from a Gaussian mixture fitted to the training codes "
                                        "(mixture) or from N(0, I) (standard) (default: mixture)"),
    prior_components: Optional[int] = typer.Option(None, min=0, help="vae: components of the fitted mixture prior (default: 10)"),
    gan_loss: Optional[str] = typer.Option(None, help="gan: nonsaturating | hinge (default: nonsaturating)"),
    temperature: Optional[float] = typer.Option(None, min=0.0, help="flow: samples invert z ~ N(0, T^2 I) (default: 1)"),
    noise_schedule: Optional[str] = typer.Option(None, help="diffusion: cosine | linear (default: cosine)"),
    timesteps: Optional[int] = typer.Option(None, min=1, help="diffusion: T, steps of the forward process (default: 1000)"),
    sampler: Optional[str] = typer.Option(None, help="diffusion: ddim | ddpm (default: ddim)"),
    ddim_steps: Optional[int] = typer.Option(None, min=1, help="diffusion: DDIM steps (default: 50)"),
    eta: Optional[float] = typer.Option(None, min=0.0, help="diffusion: DDIM noise (default: 0)"),
    samples: Optional[int] = typer.Option(None, min=2, help="generated images scored at the end (default: 1000)"),
    evaluator: Optional[Path] = typer.Option(None, help="a classify run on the same data to score samples with (default: one trained and cached per dataset)"),
) -> None:
    """Train a generative model and measure it: samples, interpolations, Frechet distance / floor, class entropy, likelihoods.

    Shared options show the diffusion model's defaults; --model vae|gan|flow have their own (every kind is
    tuned for digits 8x8 and stops after 120-150 s of training).
    """
    from dlbox.tasks.generate.train import train as train_generative

    kind = kind or _configured_kind(common)
    if kind is None and common["resume"] is None:
        raise ValueError("say which generative model to train: --model vae|gan|flow|diffusion")
    if latent_dim is not None:
        common["model_arg"] = [*(common["model_arg"] or []), f"latent_dim={latent_dim}"]
    section = {"kind": kind, "beta": beta, "likelihood": likelihood, "prior": prior, "prior_components": prior_components, "gan_loss": gan_loss, "temperature": temperature,
               "noise_schedule": noise_schedule, "timesteps": timesteps, "sampler": sampler, "ddim_steps": ddim_steps, "eta": eta,
               "samples": samples, "evaluator": str(evaluator) if evaluator else None}
    defaults = default_config(kind or "diffusion")
    run_dir = run_training(train_generative, defaults, common, generate=section)
    _print_summary(run_dir / "metrics.json")
    echo_run_dir(run_dir)


def _configured_kind(common: dict[str, Any]) -> str | None:
    """``generate.kind`` from ``--config`` or ``--set``, when the command line has no ``--model``."""
    from dlbox.config import requested

    return (requested(common["config"], common["set_"]).get("generate") or {}).get("kind")


def _print_summary(metrics_file: Path) -> None:
    import json
    import os

    if os.environ.get("RANK", "0") != "0":  # torchrun / fabric run: every process runs this CLI; rank 0 reports
        return
    m = json.loads(metrics_file.read_text())
    typer.echo(f"{m['kind']}: Frechet distance {m['frechet_distance']:.2f} (floor {m['frechet_floor']:.2f}, ratio {m['frechet_ratio']:.2f}) "
               f"on {m['samples']} samples; class entropy {m['class_entropy']:.3f} of {m['class_entropy_max']:.3f}, "
               f"mean confidence {m['mean_confidence']:.3f}")
    if "test_bits_per_dim" in m:
        typer.echo(f"test {m['likelihood_bound']}: {m['test_bits_per_dim']:.3f} bits/dim ({m['test_nats']:.1f} nats per image)")
    typer.echo(f"sampling ({m['sampler']}): {1000 * m['seconds_per_image']:.2f} ms per image")
    if "epochs" in m:
        typer.echo(f"{m['epochs']} epochs, {m['steps']} steps, {m['train_time_s']:.1f} s training, stopped by {m['stopped_by']}")


@app.command()
@user_errors
@with_options(_DRAWING)
def sample(
    common: dict,
    run: Path = RUN,
    n: int = typer.Option(64, min=1, help="images to generate"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: a new one under runs/generate-sample/)"),
) -> None:
    """New images: samples.png and samples.safetensors (`images`, (N, C, H, W) in [0, 1])."""
    from dlbox.tasks.generate.sample import sample_run

    d = _draw_options(common)
    out_dir, info = sample_run(run, n, d.pop("seed"), out, d.pop("device"), **d)
    typer.echo(f"{info['n']} {info['kind']} samples ({info['sampler']}): {1000 * info['seconds_per_image']:.2f} ms per image")
    echo_run_dir(out_dir)


@app.command("eval")
@user_errors
@with_options(_DRAWING)
def evaluate(
    common: dict,
    run: Path = RUN,
    samples: Optional[int] = typer.Option(None, min=2, help="generated images to score (default: the run's, 1000)"),
    evaluator: Optional[Path] = typer.Option(None, help="a classify run on the same data (default: the run's evaluator)"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: a new one under runs/generate-eval/)"),
) -> None:
    """Frechet distance to the test images and its floor, class confidence and entropy, test likelihood, sampling time."""
    from dlbox.tasks.generate.evaluate import evaluate_run

    d = _draw_options(common)
    out_dir, _ = evaluate_run(run, samples, str(evaluator) if evaluator else None, d.pop("seed"), out, d.pop("device"), **d)
    _print_summary(out_dir / "metrics.json")
    echo_run_dir(out_dir)


@app.command()
@user_errors
@with_options(_DRAWING, hide=("sampler", "ddim_steps", "eta", "temperature", "prior"))
def interpolate(
    common: dict,
    run: Path = RUN,
    pairs: int = typer.Option(4, min=1, help="paths (rows) to draw"),
    steps: Optional[int] = typer.Option(None, min=2, help="images along each path (default: the run's, 8)"),
    method: str = typer.Option("slerp", help="slerp | lerp"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: a new one under runs/generate-interpolate/)"),
) -> None:
    """interpolations.png: images decoded along paths between latent codes (test images' codes for vae and flow)."""
    from dlbox.tasks.generate.interpolate import interpolate_run

    d = _draw_options(common)
    out_dir, info = interpolate_run(run, pairs, steps, method, d["seed"], out, d["device"])
    typer.echo(f"{info['pairs']} {info['method']} paths of {info['steps']} images ({info['kind']})")
    echo_run_dir(out_dir)
