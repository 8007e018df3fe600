"""The generate section: per-kind defaults, and every bad or misplaced option refused with its name."""

from __future__ import annotations

import pytest

from dlbox.engine.checks import check_config
from dlbox.tasks.generate.config import KIND_OF_FIELD, KINDS, MODELS, GenerateConfig, GenerateOptions, default_config
from dlbox.tasks.generate.train import RECIPE


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_valid_defaults_with_its_own_network_and_a_time_budget(kind):
    cfg = default_config(kind)
    check_config(RECIPE, cfg)  # no error
    assert cfg.generate.kind == kind and cfg.model.name == MODELS[kind]
    assert cfg.train.max_time is not None and cfg.train.max_time <= 150
    assert cfg.train.monitor == ("val_class_entropy" if kind == "gan" else "val_loss")


def test_the_plain_config_is_the_diffusion_default_and_kinds_differ():
    assert GenerateConfig() == default_config("diffusion")
    assert default_config("gan").optim.lr != default_config("vae").optim.lr and default_config("gan").optim.schedule == "none"
    with pytest.raises(ValueError, match="vae, gan, flow, diffusion"):
        default_config("pixelcnn")


OTHER_VALUES = {"beta": 2.0, "likelihood": "gaussian", "sigma": 0.2, "gan_loss": "hinge", "adam_beta1": 0.9, "real_label": 0.9, "temperature": 0.7,
                "noise_schedule": "linear", "timesteps": 500, "sampler": "ddpm", "ddim_steps": 20, "eta": 1.0,
                "min_snr_gamma": None, "prior": "standard", "prior_components": 5}


@pytest.mark.parametrize("key", sorted(KIND_OF_FIELD))
def test_an_option_of_another_kind_is_refused_by_name(key):
    owner = KIND_OF_FIELD[key]
    other = next(k for k in KINDS if k != owner)
    cfg = default_config(other)
    assert getattr(GenerateOptions(), key) != OTHER_VALUES[key]
    setattr(cfg.generate, key, OTHER_VALUES[key])
    with pytest.raises(ValueError, match=f"generate.{key} does nothing with --model {other} \\(only {owner} uses it\\)"):
        check_config(RECIPE, cfg)
    own = default_config(owner)
    setattr(own.generate, key, getattr(cfg.generate, key))
    if key == "sigma":
        own.generate.likelihood = "gaussian"
    check_config(RECIPE, own)  # the owner takes it


@pytest.mark.parametrize(
    "kind, change, message",
    [
        ("vae", {"likelihood": "bernoulli"}, "generate.likelihood 'bernoulli' is not valid; choose from discretized, gaussian"),
        ("vae", {"beta": -1.0}, "generate.beta must be non-negative"),
        ("vae", {"sigma": 0.2}, "needs generate.likelihood gaussian"),
        ("vae", {"prior": "flat"}, "generate.prior 'flat' is not valid; choose from mixture, standard"),
        ("vae", {"prior_components": -1}, "generate.prior_components must be 0 (no fitted prior) or more"),
        ("vae", {"prior_components": 0}, "generate.prior mixture samples from a fitted mixture, which needs generate.prior_components >= 1"),
        ("gan", {"gan_loss": "wasserstein"}, "choose from nonsaturating, hinge"),
        ("gan", {"adam_beta1": 1.0}, "generate.adam_beta1 must be in [0, 1)"),
        ("flow", {"temperature": 0.0}, "generate.temperature must be positive"),
        ("diffusion", {"ddim_steps": 2000}, "generate.ddim_steps must be in 1..1000"),
        ("diffusion", {"noise_schedule": "sigmoid"}, "choose from linear, cosine"),
        ("diffusion", {"samples": 1}, "generate.samples must be at least 2"),
        ("diffusion", {"min_snr_gamma": 0.0}, "generate.min_snr_gamma must be positive or null (unweighted)"),
        ("diffusion", {"kind": "pixelcnn"}, "generate.kind) 'pixelcnn' is not valid"),
    ],
)
def test_bad_values_name_the_option(kind, change, message):
    cfg = default_config(kind)
    for key, value in change.items():
        setattr(cfg.generate, key, value)
    with pytest.raises(ValueError) as err:
        check_config(RECIPE, cfg)
    assert message in str(err.value)


def test_network_monitor_and_unused_fields_are_checked():
    cfg = default_config("flow")
    cfg.model.name = "vae"
    with pytest.raises(ValueError, match="--model flow trains the registered model 'realnvp'; model.name is 'vae'"):
        check_config(RECIPE, cfg)
    cfg = default_config("gan")
    cfg.train.monitor = "val_loss"
    with pytest.raises(ValueError, match="not reported by --model gan; choose from val_class_entropy, val_confidence"):
        check_config(RECIPE, cfg)
    cfg = default_config("vae")
    cfg.model.kwargs["likelihood"] = "gaussian"
    with pytest.raises(ValueError, match="set generate.likelihood only"):
        check_config(RECIPE, cfg)
    cfg = default_config("vae")
    cfg.model.kwargs["prior_components"] = 3
    with pytest.raises(ValueError, match="set generate.prior_components only"):
        check_config(RECIPE, cfg)
    cfg.generate.prior, cfg.generate.prior_components, cfg.model.kwargs = "standard", 0, {}
    check_config(RECIPE, cfg)  # N(0, I) only: no mixture to fit
    cfg = default_config("vae")
    cfg.data.augment = True
    with pytest.raises(ValueError, match="data.augment is not used by `dlbox generate`"):
        check_config(RECIPE, cfg)


def test_the_gan_default_has_two_stages_per_player_on_digits_and_keeps_its_final_weights():
    from dlbox.models import create_model

    cfg = default_config("gan")
    model = create_model(cfg.model.name, in_channels=1, image_size=8, **cfg.model.kwargs)
    # 8x8 from a 2x2 projection: two hidden layers per player (one each from 4x4 underfits: the discriminator sits at chance)
    assert [n for n, _ in model.generator.body.named_children()] == ["project", "up1", "up2"]
    assert [n for n, _ in model.discriminator.body.named_children()] == ["down1", "down2", "classifier"]
    # the entropy monitor is an alarm only: without early stopping no earlier checkpoint replaces the final EMA weights
    assert cfg.train.patience is None and cfg.train.ema
    assert cfg.generate.gan_loss == "nonsaturating" and cfg.generate.real_label == 0.9  # one-sided label smoothing


def test_real_label_is_checked():
    cfg = default_config("gan")
    cfg.generate.real_label = 0.5
    with pytest.raises(ValueError, match=r"generate.real_label must be in \(0.5, 1\], got 0.5"):
        check_config(RECIPE, cfg)
    cfg.generate.real_label = 1.01
    with pytest.raises(ValueError, match="generate.real_label must be in"):
        check_config(RECIPE, cfg)
