"""The one input-optimisation loop: parameterisations, transforms, regularisers, optimisers, clamping."""

import pytest
import torch

from dlbox.optimize_input import OptimizeConfig, make_param, optimize_image
from dlbox.optimize_input.parameterization import FourierParam, PixelParam
from dlbox.optimize_input.regularizers import gaussian_blur, l2, total_variation
from dlbox.optimize_input.transforms import RobustnessTransforms, affine, jitter


def test_regularisers_match_their_formulas():
    x = torch.rand(2, 3, 5, 7)
    tv = sum(
        (((x[b, :, 1:, :] - x[b, :, :-1, :]) ** 2).mean() + ((x[b, :, :, 1:] - x[b, :, :, :-1]) ** 2).mean()) for b in range(2)
    )
    torch.testing.assert_close(total_variation(x), tv)
    torch.testing.assert_close(l2(x), sum(((x[b] - 0.5) ** 2).mean() for b in range(2)))
    assert total_variation(torch.full((1, 1, 4, 4), 0.3)) == 0


def test_blur_keeps_constants_and_smooths_noise():
    flat = torch.full((1, 3, 9, 9), 0.7)
    torch.testing.assert_close(gaussian_blur(flat, 1.0), flat)
    noise = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    blurred = gaussian_blur(noise, 1.0)
    assert blurred.shape == noise.shape
    assert total_variation(blurred) < 0.3 * total_variation(noise)
    assert abs(float(blurred.mean() - noise.mean())) < 0.02


def test_transforms_keep_the_size_and_pass_gradients():
    x = torch.arange(20.0).view(1, 1, 4, 5)
    assert torch.equal(jitter(x, 1, 2)[0, 0, 1, 2], x[0, 0, 0, 0])
    torch.testing.assert_close(affine(x, 1.0, 0.0), x)
    y = torch.rand(2, 3, 12, 10, requires_grad=True)
    t = RobustnessTransforms(jitter=2, scale=0.1, rotate=10, seed=0)
    out = t(y)
    assert out.shape == y.shape
    out.sum().backward()
    assert y.grad is not None and y.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="fraction"):
        RobustnessTransforms(scale=1.5)


def test_fourier_parameterisation_gives_valid_images():
    p = FourierParam((2, 3, 16, 12), generator=torch.Generator().manual_seed(0))
    img = p.image()
    assert img.shape == (2, 3, 16, 12) and 0 < img.min() and img.max() < 1
    img.mean().backward()
    assert p.spectrum.grad is not None
    with pytest.raises(ValueError, match="starts from noise"):
        make_param("fourier", init=torch.rand(1, 3, 4, 4))
    with pytest.raises(ValueError, match="pixel, fourier"):
        make_param("wavelet", shape=(1, 1, 4, 4))


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("param", ["pixel", "fourier"])
def test_every_optimizer_reduces_the_objective(optimizer, param):
    lr = {"adam": 0.05, "sgd": 0.02 if param == "pixel" else 0.003, "lbfgs": 1.0}[optimizer]
    target = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(1)) * 0.6 + 0.2

    def objective(x):
        loss = (x - target).pow(2).mean()
        return loss, {"mse": loss}

    p = make_param(param, shape=(1, 3, 8, 8), generator=torch.Generator().manual_seed(0))
    start = float(objective(p.image().detach())[0])
    res = optimize_image(objective, p, OptimizeConfig(steps=30, optimizer=optimizer, lr=lr, progress=False, log_every=5))
    end = float(objective(res.image)[0])
    assert end < 0.6 * start, (optimizer, param, start, end)
    assert res.history[-1]["step"] == res.steps and "mse" in res.history[-1]


def test_pixels_are_clamped_to_the_valid_range():
    def push_up(x):
        return -x.sum(), {}

    res = optimize_image(push_up, PixelParam(torch.full((1, 1, 4, 4), 0.5)), OptimizeConfig(steps=20, lr=0.2, progress=False))
    assert torch.equal(res.image, torch.ones(1, 1, 4, 4))
    raw = optimize_image(push_up, PixelParam(torch.full((1, 1, 4, 4), 0.5), clamp=False), OptimizeConfig(steps=20, lr=0.2, clamp=False, progress=False))
    assert raw.image.max() == 1.0  # the returned image is always valid...


def test_regularisers_and_blur_smooth_the_result():
    noise = torch.rand(1, 1, 12, 12, generator=torch.Generator().manual_seed(0))

    def zero(x):
        return x.sum() * 0, {}

    tv = optimize_image(zero, PixelParam(noise), OptimizeConfig(steps=40, lr=0.05, tv=1.0, progress=False))
    assert total_variation(tv.image) < 0.5 * total_variation(noise)
    blurred = optimize_image(zero, PixelParam(noise), OptimizeConfig(steps=4, lr=0.01, blur_every=2, blur_sigma=1.0, progress=False))
    assert total_variation(blurred.image) < 0.3 * total_variation(noise)
    with pytest.raises(ValueError, match="adam, sgd, lbfgs"):
        optimize_image(zero, PixelParam(noise), OptimizeConfig(optimizer="rmsprop"))


def test_progress_bar_ends_on_the_last_step():
    from dlbox.optimize_input.loop import _Progress

    p = _Progress(True, "test", 5)
    p.update(1, 0.5)
    p.update(5, 0.25)  # within the refresh interval: not drawn yet
    bar = p.bar
    assert bar.tasks[0].completed == 1
    p.stop()
    assert bar.tasks[0].completed == 5 and "0.25" in bar.tasks[0].fields["info"]
