"""The yardstick and the pictures: Frechet distance with its floor, class scores, likelihoods, sampling, interpolation paths."""

from __future__ import annotations

import math

import pytest
import torch

from dlbox.config import DataConfig
from dlbox.model_io import load_model
from dlbox.tasks.generate.config import GenerateOptions
from dlbox.tasks.generate.data import load_generative_data
from dlbox.tasks.generate.evaluate import held_out_likelihood, sample_quality
from dlbox.tasks.generate.interpolate import ddim_from, interpolations
from dlbox.tasks.generate.sampling import sample_images
from dlbox.tasks.generate.train import RECIPE


@pytest.fixture(scope="module")
def digits():
    return load_generative_data(DataConfig(name="digits"))


@pytest.fixture(scope="module")
def evaluator(evaluator_run, digits):
    """The tiny saved CNN, trained for a moment on the training split (so its classes mean something)."""
    model = load_model(evaluator_run).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = digits.train["image"], digits.train["label"]
    torch.manual_seed(0)
    for _ in range(60):
        i = torch.randint(0, len(x), (128,))
        loss = torch.nn.functional.cross_entropy(model(x[i]), y[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def _model(tiny_cfg, kind, digits, seed=0):
    torch.manual_seed(seed)
    return RECIPE.build_model(tiny_cfg(kind, None, None), digits).eval()


def test_real_images_score_near_the_floor_and_noise_far_above_it(digits, evaluator):
    test, train = digits.test["image"], digits.train["image"]
    real = sample_quality(train[-300:], test, train, evaluator, digits.class_names)
    noise = sample_quality(torch.rand(300, 1, 8, 8, generator=torch.Generator().manual_seed(0)), test, train, evaluator, digits.class_names)
    assert real["n_floor_images"] == 300 and real["n_test_images"] == len(test)
    assert real["frechet_floor"] == noise["frechet_floor"]  # the same training images: the floor does not depend on the fakes
    # held-out real images are as far from the test images as the floor's, up to sampling noise; uniform noise far more
    assert real["frechet_distance"] < 0.05 * noise["frechet_distance"] and noise["frechet_ratio"] > 20 * real["frechet_ratio"]
    assert sum(real["class_histogram"].values()) == pytest.approx(1.0) and real["class_entropy_max"] == pytest.approx(math.log(10))
    assert 0 < real["class_entropy"] <= real["class_entropy_max"] and 0 <= real["confident_fraction"] <= 1
    collapsed = sample_quality(train[:1].repeat(50, 1, 1, 1), test, train, evaluator, digits.class_names)
    assert collapsed["class_entropy"] == 0 and max(collapsed["class_histogram"].values()) == 1  # mode collapse


def test_likelihoods_are_the_models_bounds_on_the_test_images(tiny_cfg, digits):
    from dlbox.generative.flow_loss import flow_negative_log_likelihood
    from dlbox.tasks.generate.vae_step import negative_elbo

    x = digits.test["image"][:40]
    flow = _model(tiny_cfg, "flow", digits)
    got = held_out_likelihood(flow, GenerateOptions(kind="flow"), x, 17, seed=3)
    with torch.no_grad():
        want = flow_negative_log_likelihood(flow, x, 17, generator=torch.Generator().manual_seed(3))
    assert got["test_bits_per_dim"] == pytest.approx(float(want.bits_per_dim.mean()), rel=1e-5)
    assert got["test_nats"] == pytest.approx(got["test_bits_per_dim"] * 64 * math.log(2), rel=1e-5)
    vae = _model(tiny_cfg, "vae", digits)
    got = held_out_likelihood(vae, GenerateOptions(kind="vae"), x, 17, seed=3)
    want = negative_elbo(vae, x, 17, GenerateOptions(), torch.Generator().manual_seed(3))
    assert got["test_nats"] == pytest.approx(float(want.nats.mean()), rel=1e-5) and got["likelihood_bound"].startswith("negative ELBO")
    assert held_out_likelihood(_model(tiny_cfg, "gan", digits), GenerateOptions(kind="gan"), x, 17) == {}


@pytest.mark.parametrize("kind", ["vae", "gan", "flow", "diffusion"])
def test_sampling_gives_images_in_range_repeatably(tiny_cfg, digits, kind):
    cfg = tiny_cfg(kind, None, None)
    model = _model(tiny_cfg, kind, digits)
    images, seconds = sample_images(model, cfg.generate, 7, (1, 8, 8), 17, seed=1, batch_size=3)
    again, _ = sample_images(model, cfg.generate, 7, (1, 8, 8), 17, seed=1, batch_size=3)
    assert images.shape == (7, 1, 8, 8) and images.min() >= 0 and images.max() <= 1 and seconds > 0
    assert torch.equal(images, again)
    if kind == "flow":  # samples of a discrete-data model lie on the data's levels
        assert torch.allclose(images * 16, (images * 16).round(), atol=1e-5)
    assert not torch.equal(sample_images(model, cfg.generate, 7, (1, 8, 8), 17, seed=2, batch_size=3)[0], images)


def test_ddim_from_a_given_noise_is_ddim_sampling_of_that_noise(tiny_cfg, digits):
    from dlbox.generative import ddim
    from dlbox.tasks.generate.diffusion_step import noise_schedule

    cfg = tiny_cfg("diffusion", None, None)
    net = _model(tiny_cfg, "diffusion", digits)
    schedule = noise_schedule(cfg.generate)
    x_t = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(4))
    want = ddim.sample(net, schedule, (3, 1, 8, 8), num_steps=5, eta=0.0, generator=torch.Generator().manual_seed(4))
    assert torch.allclose(ddim_from(net, schedule, x_t, 5), want, atol=1e-6)


def test_interpolation_ends_are_the_encoded_test_images(tiny_cfg, digits):
    test = digits.test["image"]
    pick = torch.randperm(len(test), generator=torch.Generator().manual_seed(2))[:4]
    flow = _model(tiny_cfg, "flow", digits)
    paths = interpolations(flow, GenerateOptions(kind="flow"), test, 17, pairs=2, steps=5, seed=2)
    assert paths.shape == (2, 5, 1, 8, 8)
    # a flow inverts exactly: the ends are the test images themselves
    assert torch.allclose(paths[:, 0], test[pick[0::2]], atol=1e-5) and torch.allclose(paths[:, -1], test[pick[1::2]], atol=1e-5)
    vae = _model(tiny_cfg, "vae", digits)
    paths = interpolations(vae, GenerateOptions(kind="vae"), test, 17, pairs=2, steps=3, method="lerp", seed=2)
    mu = vae.encode(test[pick])[0]
    assert torch.allclose(paths[0, 0], vae.decode(mu[:1])[0][0], atol=1e-6)
    assert torch.allclose(paths[1, 1], vae.decode((mu[2:3] + mu[3:4]) / 2)[0][0], atol=1e-6)  # the midpoint of a straight path
    with pytest.raises(ValueError, match="choose from slerp, lerp"):
        interpolations(vae, GenerateOptions(kind="vae"), test, 17, method="cubic")


def test_prior_grid_spans_the_5_to_95_percent_quantiles():
    from dlbox.tasks.generate.figures import prior_grid

    codes, lo, hi = prior_grid(3)
    q = 1.6448536
    assert codes.shape == (9, 2)
    assert torch.allclose(codes[0], torch.tensor([-q, q]), atol=1e-5) and torch.allclose(codes[-1], torch.tensor([q, -q]), atol=1e-5)
    assert torch.allclose(codes[4], torch.zeros(2), atol=1e-6) and torch.allclose(lo, torch.tensor([-q, -q]), atol=1e-5)
    assert torch.allclose(hi, -lo)


def test_latent_maps_of_2d_codes(tmp_path, tiny_cfg, digits):
    from dlbox.tasks.generate.figures import latent_map

    cfg = tiny_cfg("gan", None, None)
    cfg.model.kwargs["latent_dim"] = 2
    torch.manual_seed(0)
    gan = RECIPE.build_model(cfg, digits).eval()
    assert latent_map(gan, "gan", digits.test, digits.class_names, tmp_path, grid=3) == ["latent_grid.png"]  # no encoder: no map
    vae = _model(tiny_cfg, "vae", digits)  # the tiny VAE has a 2-D code
    assert latent_map(vae, "vae", digits.test, digits.class_names, tmp_path, grid=3) == ["latent_grid.png", "latent_map.png"]
    assert (tmp_path / "latent_grid.png").stat().st_size > 0 and (tmp_path / "latent_map.png").stat().st_size > 0
