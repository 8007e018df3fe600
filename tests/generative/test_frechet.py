from collections import OrderedDict

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn as nn

from dlbox.generative.frechet import ClassifierFeatures, feature_statistics, frechet_distance, gaussian_frechet_distance
from dlbox.models import create_model
from dlbox.models.classifier import Classifier


def pixel_classifier(dim: int, classes: int = 3) -> Classifier:
    """A linear dlbox classifier: its penultimate features are the raw pixels."""
    return Classifier(nn.Flatten(), nn.Sequential(OrderedDict(fc=nn.Linear(dim, classes))), classes)


def scipy_frechet(mu1, c1, mu2, c2):
    """The textbook formula with scipy's general matrix square root (as in the FID reference code)."""
    covmean = scipy.linalg.sqrtm(c1 @ c2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean))


def random_cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_closed_form_matches_scipy_and_the_diagonal_case():
    rng = np.random.default_rng(0)
    for d in (1, 3, 8):
        mu1, mu2, c1, c2 = rng.normal(size=d), rng.normal(size=d), random_cov(rng, d), random_cov(rng, d)
        got = gaussian_frechet_distance(torch.tensor(mu1), torch.tensor(c1), torch.tensor(mu2), torch.tensor(c2))
        assert got == pytest.approx(scipy_frechet(mu1, c1, mu2, c2), rel=1e-8, abs=1e-10)
        assert got == pytest.approx(gaussian_frechet_distance(torch.tensor(mu2), torch.tensor(c2), torch.tensor(mu1), torch.tensor(c1)), rel=1e-9)
        assert gaussian_frechet_distance(torch.tensor(mu1), torch.tensor(c1), torch.tensor(mu1), torch.tensor(c1)) == pytest.approx(0, abs=1e-9)
    # diagonal covariances: sum((sqrt(v1) - sqrt(v2))^2) + ||mu1 - mu2||^2
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    got = gaussian_frechet_distance(torch.zeros(3), torch.diag(torch.tensor(v1)), torch.ones(3), torch.diag(torch.tensor(v2)))
    assert got == pytest.approx(3 + (1 - 3) ** 2 + (2 - 1) ** 2 + 0, rel=1e-10)
    with pytest.raises(ValueError, match="covariances"):
        gaussian_frechet_distance(torch.zeros(2), torch.eye(3), torch.zeros(2), torch.eye(3))


def test_torchmetrics_distance_equals_the_closed_form_on_the_features():
    g = torch.Generator().manual_seed(0)
    real = torch.rand(300, 1, 2, 2, generator=g)
    fake = torch.rand(200, 1, 2, 2, generator=g) ** 2
    model = pixel_classifier(4)
    got = frechet_distance(real, fake, model, batch_size=64)
    ref = gaussian_frechet_distance(*feature_statistics(real.flatten(1)), *feature_statistics(fake.flatten(1)))
    assert got == pytest.approx(ref, rel=1e-4)
    # and both estimate the distance between the true distributions: U[0,1] vs the law of U^2 per pixel
    # (mean 1/2 vs 1/3, variance 1/12 vs 4/45; independent pixels)
    truth = gaussian_frechet_distance(torch.full((4,), 0.5), torch.eye(4) / 12, torch.full((4,), 1 / 3), torch.eye(4) * 4 / 45)
    assert got == pytest.approx(truth, abs=0.03)


def test_a_sample_against_itself_is_near_zero_and_shifts_increase_it():
    torch.manual_seed(0)
    model = create_model("cnn", in_channels=1, image_size=8, num_classes=10, channels=(8, 16), convs_per_stage=1)
    images = torch.rand(200, 1, 8, 8)
    self_distance = frechet_distance(images, images, model)
    shifted = frechet_distance(images, (images + 0.3).clamp(0, 1), model)
    assert abs(self_distance) < 1e-3 * max(shifted, 1e-6) + 1e-5
    assert shifted > 100 * abs(self_distance)
    assert model.training  # the mode is restored


def test_classifier_features_are_the_input_of_the_last_linear():
    torch.manual_seed(0)
    model = create_model("cnn", in_channels=1, image_size=8, num_classes=10, channels=(8, 16), convs_per_stage=1).eval()
    feats = ClassifierFeatures(model)
    x = torch.rand(5, 1, 8, 8)
    assert feats.num_features == 16
    with torch.no_grad():
        expected = model.head.flatten(model.head.pool(model.features(x)))
        assert torch.allclose(feats(x), expected)
    assert not model.head.fc._forward_pre_hooks  # the hook is removed after each call
    with pytest.raises(ValueError, match="nn.Linear"):
        ClassifierFeatures(nn.Conv2d(1, 1, 1))


def test_bad_inputs():
    model = pixel_classifier(4)
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(torch.rand(1, 1, 2, 2), torch.rand(5, 1, 2, 2), model)
    with pytest.raises(ValueError, match="differ in shape"):
        frechet_distance(torch.rand(3, 1, 2, 2), torch.rand(3, 1, 4, 1), model)
