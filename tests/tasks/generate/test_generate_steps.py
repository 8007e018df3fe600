"""Each kind's step on a live Fabric run: what it optimises, what it logs, and validation on fixed draws."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from dlbox.data import make_loader
from dlbox.engine.fabric_setup import import_fabric
from dlbox.engine.optim import build_optimizer
from dlbox.engine.training import Run
from dlbox.models import create_model
from dlbox.tasks.generate.data import load_generative_data
from dlbox.tasks.generate.train import RECIPE


@pytest.fixture(scope="module")
def digits():
    from dlbox.config import DataConfig

    return load_generative_data(DataConfig(name="digits", train_per_class=10))


def live_run(cfg, bundle, evaluator=None) -> Run:
    """The objects ``engine.training.train`` hands a step, on one CPU process (no run directory, no EMA)."""
    fabric = import_fabric().Fabric(accelerator="cpu", devices=1)
    torch.manual_seed(0)
    model = RECIPE.build_model(cfg, bundle)
    groups = RECIPE.param_groups(cfg, model)
    names = list(groups)
    model, *optimizers = fabric.setup(model, *(build_optimizer(p, cfg.optim) for p in groups.values()))
    val = make_loader(bundle.val, 64, shuffle=False, num_workers=0)
    return Run(fabric, cfg, bundle, model, dict(zip(names, optimizers)), {}, None, None, val, 32, Path("."),
               extras={"evaluator": evaluator})


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_gan_step_alternates_the_players_each_with_its_own_optimizer(tiny_cfg, digits):
    from dlbox.tasks.generate.gan_step import GANStep

    evaluator = create_model("cnn", channels=[4], convs_per_stage=1).eval()
    run = live_run(tiny_cfg("gan", None, None), digits, evaluator)
    step = GANStep(run)
    gan = run.model.module
    assert [g["betas"] for o in run.optimizers.values() for g in o.param_groups] == [(0.5, 0.999)] * 2  # DCGAN's beta1
    assert {id(p) for g in run.optimizers["generator"].param_groups for p in g["params"]} == {id(p) for p in gan.generator.parameters()}
    snapshots = []
    for name, optimizer in run.optimizers.items():  # the state of both players right after each optimizer's step
        optimizer.register_step_post_hook(lambda *_, name=name: snapshots.append((name, weights(gan))))
    before = weights(gan)
    batch = {"image": digits.train["image"][:32], "label": digits.train["label"][:32]}
    out = step.train_step(batch)
    assert [name for name, _ in snapshots] == ["discriminator", "generator"]  # D first, then G
    after_d, after_g = snapshots[0][1], snapshots[1][1]

    def changed(a, b, part):
        return [k for k in a if k.startswith(part) and not torch.equal(a[k], b[k])]

    assert changed(before, after_d, "discriminator.") and not changed(before, after_d, "generator.")
    assert changed(after_d, after_g, "generator.") and not changed(after_d, after_g, "discriminator.")
    assert set(out) == {"loss", "d_loss", "g_loss"} and torch.isclose(out["loss"], out["d_loss"] + out["g_loss"])
    assert all(p.requires_grad for p in gan.discriminator.parameters())  # unfrozen again
    scores = step.validate()
    assert set(scores) == {"val_class_entropy", "val_confidence"} and 0 <= scores["val_class_entropy"] <= torch.log(torch.tensor(10.0))
    assert gan.generator.training  # validation without EMA leaves the generator training


@pytest.mark.parametrize(("loss", "real_label"), [("nonsaturating", 1.0), ("hinge", 1.0), ("nonsaturating", 0.9), ("hinge", 0.9)])
def test_gan_losses_reported_are_those_of_gan_loss(tiny_cfg, digits, loss, real_label):
    from dlbox.generative import gan_loss
    from dlbox.tasks.generate.gan_step import GANStep

    run = live_run(tiny_cfg("gan", None, None, gan_loss=loss, real_label=real_label), digits, create_model("cnn", channels=[4], convs_per_stage=1))
    step = GANStep(run)
    gan = run.model.module
    start = copy.deepcopy(gan)
    torch.manual_seed(5)
    batch = {"image": digits.train["image"][:16], "label": digits.train["label"][:16]}
    out = step.train_step(batch)
    # the same draws through the networks: D's loss with D as it started, G's with D after its update (G's step leaves it)
    torch.manual_seed(5)
    z = torch.randn(16, gan.latent_dim)
    start.train()
    d, g = {"nonsaturating": (gan_loss.discriminator_loss, gan_loss.generator_loss_nonsaturating),
            "hinge": (gan_loss.discriminator_loss_hinge, gan_loss.generator_loss_hinge)}[loss]
    with torch.no_grad():
        fake = start.generator(z)
        smoothing = {"real_label": real_label} if loss == "nonsaturating" else {}  # one-sided label smoothing; hinge: none
        expected_d = d(start.discriminator(batch["image"]), start.discriminator(fake), **smoothing)
        expected_g = g(gan.discriminator(fake))
    assert float(out["d_loss"]) == pytest.approx(float(expected_d), rel=1e-5)
    assert float(out["g_loss"]) == pytest.approx(float(expected_g), rel=1e-5)


def test_vae_bound_draws_z_even_in_eval_mode(tiny_cfg, digits):
    from dlbox.generative.likelihood import discretized_logistic_nll
    from dlbox.generative.vae_loss import kl_standard_normal
    from dlbox.tasks.generate.vae_step import negative_elbo

    cfg = tiny_cfg("vae", None, None)
    torch.manual_seed(0)
    model = RECIPE.build_model(cfg, digits).eval()
    x = digits.test["image"][:8]
    terms = negative_elbo(model, x, 17, cfg.generate, torch.Generator().manual_seed(3))
    # independently: z = mu + sigma * eps with eps from the same generator
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    mean, log_scale = model.decode(mu + torch.exp(0.5 * logvar) * eps)
    expected = discretized_logistic_nll(x, mean, log_scale, 17) + kl_standard_normal(mu, logvar)
    assert torch.allclose(terms.nats, expected, rtol=1e-5)
    at_mu = discretized_logistic_nll(x, *model.decode(mu), 17) + kl_standard_normal(mu, logvar)
    assert not torch.allclose(terms.nats, at_mu)  # not the z = mu shortcut of the model's eval forward


@pytest.mark.parametrize("kind", ["vae", "flow", "diffusion"])
def test_each_step_trains_in_training_mode_and_validates_on_fixed_draws(tiny_cfg, digits, kind):
    from dlbox.tasks.generate.train import make_step

    run = live_run(tiny_cfg(kind, None, None), digits)
    step = make_step(run)
    first = step.validate()
    assert first == step.validate()  # the same draws every epoch
    assert set(first) == ({"val_loss", "val_kl"} if kind == "vae" else {"val_loss"})
    before = [p.detach().clone() for p in run.model.parameters()]
    out = step.train_step({"image": digits.train["image"][:32], "label": digits.train["label"][:32]})
    assert torch.isfinite(out["loss"]) and any(not torch.equal(a, b) for a, b in zip(before, run.model.parameters()))
    assert all(m.training for m in run.model.module.modules())  # trained in training mode after a validation
    if kind == "vae":
        assert set(out) == {"loss", "reconstruction", "kl", "bits_per_dim"}
        assert float(out["loss"]) == pytest.approx(float(out["reconstruction"] + out["kl"]), rel=1e-5)  # beta 1
    assert step.validate() != first


def test_noise_schedule_follows_the_options():
    from dlbox.generative.noise_schedule import cosine_betas, linear_betas
    from dlbox.tasks.generate.config import GenerateOptions
    from dlbox.tasks.generate.diffusion_step import noise_schedule

    assert torch.equal(noise_schedule(GenerateOptions(timesteps=30)).betas, cosine_betas(30))  # the default
    assert torch.equal(noise_schedule(GenerateOptions(noise_schedule="linear", timesteps=40)).betas, linear_betas(40))


def test_batch_norm_recalibration_sets_the_statistics_of_the_given_codes():
    from dlbox.tasks.generate.gan_step import recalibrate_batch_norm

    torch.manual_seed(0)
    generator = create_model("dcgan_generator", image_size=16, latent_dim=6, width=8).eval()
    norms = [m for m in generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    inputs = {m: [] for m in norms}
    for m in norms:
        m.register_forward_pre_hook(lambda mod, args: inputs[mod].append(args[0].detach()))
    z = torch.randn(40, 6)
    recalibrate_batch_norm(generator, z, batch_size=10)
    assert not generator.training and all(m.momentum == 0.1 for m in norms)  # mode and momentum as they were
    for m in norms:
        seen = torch.cat(inputs[m])  # (40, C, H, W): what each batch norm saw, batch after batch
        assert torch.allclose(m.running_mean, seen.mean(dim=(0, 2, 3)), atol=1e-5)
        per_batch = torch.stack([b.var(dim=(0, 2, 3), unbiased=True) for b in seen.split(10)])  # equal batches: their mean
        assert torch.allclose(m.running_var, per_batch.mean(0), atol=1e-5)
