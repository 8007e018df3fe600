"""How good a generative model is, measured the same way for every kind (``finish`` and ``dlbox generate eval``).

- **Frechet distance** (FID with the evaluator classifier's features, :mod:`dlbox.generative.frechet`) of
  ``generate.samples`` generated images to the held-out test images; its **floor** is the distance of as
  many *training* images to the same test images (what a perfect model of the data would score with this
  many samples) and the **ratio** distance / floor is the figure comparable across datasets.
- The evaluator's **mean confidence** on the samples, the share classified with confidence >= 0.9, and the
  **entropy of the predicted classes** (``log K`` when every class is generated equally often; low: mode collapse).
- **Likelihoods** on the test split where the kind defines one: the VAE's negative ELBO and the flow's NLL,
  in nats per image and bits per dimension (upper bounds on the discrete data's NLL).
- **Sampling time** per image.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.data import DataBundle
from dlbox.generative.classifier_scores import class_probabilities, mean_confidence, predicted_class_entropy, predicted_class_histogram
from dlbox.generative.frechet import frechet_distance
from dlbox.tasks.generate.config import GenerateOptions
from dlbox.tasks.generate.sampling import sample_images

CONFIDENT = 0.9  # the confidence threshold of "confident_fraction"
EVAL_BATCH = 500


def sample_quality(fake: torch.Tensor, test: torch.Tensor, train: torch.Tensor, evaluator: nn.Module,
                   class_names: list[str], seed: int = 0) -> dict[str, Any]:
    """Frechet distance of ``fake`` to ``test``, its floor (``len(fake)`` training images, at most all), and class scores."""
    gen = torch.Generator().manual_seed(seed)
    floor_images = train[torch.randperm(len(train), generator=gen)[: len(fake)]]
    fd = frechet_distance(test, fake, evaluator)
    floor = frechet_distance(test, floor_images, evaluator)
    probs = class_probabilities(evaluator, fake).cpu()  # (N, K)
    histogram = predicted_class_histogram(probs)
    return {
        "frechet_distance": fd,
        "frechet_floor": floor,
        "frechet_ratio": fd / floor if floor > 0 else math.inf,
        "n_test_images": len(test),
        "n_floor_images": len(floor_images),
        "mean_confidence": mean_confidence(probs),
        "confident_fraction": float((probs.max(dim=1).values >= CONFIDENT).float().mean()),
        "class_entropy": abs(predicted_class_entropy(probs)),  # abs: -0.0 when every sample is one class
        "class_entropy_max": math.log(len(class_names)),
        "class_histogram": {name: float(h) for name, h in zip(class_names, histogram)},
    }


@torch.no_grad()
def held_out_likelihood(model: nn.Module, options: GenerateOptions, images: torch.Tensor, levels: int, seed: int = 0) -> dict[str, Any]:
    """The VAE's negative ELBO or the flow's NLL on ``images`` (nats per image, bits/dim); ``{}`` for other kinds."""
    from dlbox.generative.flow_loss import flow_negative_log_likelihood
    from dlbox.tasks.generate.vae_step import negative_elbo

    if options.kind not in ("vae", "flow"):
        return {}
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    nats, bpd = [], []
    for batch in images.split(EVAL_BATCH):
        batch = batch.to(device)
        if options.kind == "vae":
            terms = negative_elbo(model, batch, levels, options, gen)
        else:
            terms = flow_negative_log_likelihood(model, batch, levels, generator=gen)
        nats.append(terms.nats.cpu())
        bpd.append(terms.bits_per_dim.cpu())
    what = f"negative ELBO ({options.likelihood} likelihood)" if options.kind == "vae" else "NLL (uniform dequantization)"
    return {"test_nats": float(torch.cat(nats).mean()), "test_bits_per_dim": float(torch.cat(bpd).mean()), "likelihood_bound": what}


def measure(model: nn.Module, options: GenerateOptions, bundle: DataBundle, levels: int, evaluator: nn.Module,
            out_dir: Path, seed: int = 0) -> dict[str, Any]:
    """Sample ``options.samples`` images, score them and the test likelihood; write ``samples.png``, ``interpolations.png``
    and, for a 2-D latent space, the latent map. Returns the figures for ``metrics.json``."""
    from dlbox.tasks.generate.figures import latent_map, save_grid
    from dlbox.tasks.generate.interpolate import interpolations, save_interpolations

    model.eval()
    shape = (bundle.in_channels, *bundle.image_size)
    fake, seconds = sample_images(model, options, options.samples, shape, levels, seed)
    save_grid(fake[: options.grid**2], out_dir / "samples.png", title=f"{options.kind}: {sampler_name(options)}")
    report: dict[str, Any] = {"kind": options.kind, "samples": options.samples, "sampler": sampler_name(options),
                              "seconds_per_image": seconds}
    report.update(sample_quality(fake, bundle.test["image"], bundle.train["image"], evaluator, bundle.class_names, seed))
    report.update(held_out_likelihood(model, options, bundle.test["image"], levels, seed))
    paths = interpolations(model, options, bundle.test["image"], levels, steps=options.interpolation_steps, seed=seed)
    save_interpolations(paths, out_dir / "interpolations.png")
    figures = ["samples.png", "interpolations.png"]
    if options.kind in ("vae", "gan") and model.latent_dim == 2:
        figures += latent_map(model, options.kind, bundle.test, bundle.class_names, out_dir)
    report["figures"] = figures
    return report


def sampler_name(options: GenerateOptions) -> str:
    if options.kind == "diffusion":
        if options.sampler == "ddpm":
            return f"DDPM ancestral, {options.timesteps} steps"
        return f"DDIM, {options.ddim_steps} steps, eta {options.eta:g}"
    if options.kind == "flow":
        return f"inverse flow, temperature {options.temperature:g}"
    if options.kind == "vae" and options.prior == "mixture":
        return f"decoder at z ~ fitted {options.prior_components}-component Gaussian mixture"
    return "decoder at z ~ N(0, I)" if options.kind == "vae" else "generator at z ~ N(0, I)"


def evaluate_run(run: str | Path, samples: int | None = None, evaluator: str | None = None, seed: int = 0,
                 out: str | Path | None = None, device: str = "cpu", **sampling: Any) -> tuple[Path, dict[str, Any]]:
    """``metrics.json`` and figures of a finished generate run, in ``out`` (default: a new ``runs/generate-eval/`` directory).

    ``samples``, ``evaluator`` and ``sampling`` (``sampler``, ``ddim_steps``, ``eta``, ``temperature``, ``prior``) override the
    run's own ``generate`` options when given.
    """
    from dlbox.engine.run_record import recorded_run
    from dlbox.engine.rundir import write_json
    from dlbox.tasks.generate.evaluator import load_evaluator
    from dlbox.tasks.generate.saved import load_generate_run
    from dlbox.tasks.generate.config import check_options

    saved = load_generate_run(run, device).with_options(samples=samples, evaluator=evaluator, **sampling)
    check_options(saved.cfg)
    bundle = saved.bundle
    classifier, classifier_run = load_evaluator(saved.cfg, bundle, device)
    with recorded_run("generate-eval", None, out) as out_dir:
        report = measure(saved.model, saved.options, bundle, saved.levels, classifier, out_dir, seed)
        report = {"run": str(run), "evaluator": str(classifier_run), "seed": seed, **report}
        write_json(out_dir / "metrics.json", report)
        return out_dir, report
