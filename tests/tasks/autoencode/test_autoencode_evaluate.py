"""Each mode's report on hand-made models and data whose figures are known in closed form."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from dlbox.tasks.autoencode.config import AnomalyOptions
from dlbox.tasks.autoencode.evaluate import anomaly_report, denoise_report, manifold_report, reconstruction_report


class Half(nn.Module):
    def forward(self, x):
        return x / 2


class Zero(nn.Module):
    """Reconstructs nothing: the error of an image is its mean squared brightness."""

    def forward(self, x):
        return torch.zeros_like(x)


def test_reconstruction_report_is_mse_and_psnr(tmp_path):
    images = torch.rand(10, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    out = reconstruction_report(Half(), images, tmp_path, show=3)
    per_image = (images / 2).pow(2).flatten(1).mean(1)  # (x - x/2)^2
    assert out["test_mse"] == pytest.approx(float(per_image.mean()), rel=1e-6)
    assert out["test_psnr"] == pytest.approx(float((10 * torch.log10(1 / per_image)).mean()), rel=1e-5)
    assert (tmp_path / "reconstructions.png").is_file()


def test_denoise_report_of_the_identity_gains_nothing_at_every_sigma(tmp_path):
    clean = torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    out = denoise_report(nn.Identity(), clean, 0.25, tmp_path, show=2)
    assert [r["sigma"] for r in out["by_sigma"]] == [0.1, 0.2, 0.25, 0.3, 0.5]
    assert out["sigma"] == 0.25 and out["n_test"] == 200 and out["psnr_gain"] == pytest.approx(0.0, abs=1e-6)
    for row in out["by_sigma"]:
        assert row["psnr_noisy"] == pytest.approx(10 * math.log10(1 / row["sigma"] ** 2), abs=0.3)
    assert (tmp_path / "denoised.png").is_file()


def test_anomaly_report_separates_bright_anomalies_from_dim_normals(tmp_path):
    g = torch.Generator().manual_seed(0)
    dim = 0.1 + 0.1 * torch.rand(30, 1, 4, 4, generator=g)  # classes 0 and 1: errors 0.01-0.04
    bright = 0.8 + 0.2 * torch.rand(20, 1, 4, 4, generator=g)  # class 2: errors 0.64-1
    test = {"image": torch.cat([dim, bright]), "label": torch.tensor([0, 1] * 15 + [2] * 20)}
    val = 0.1 + 0.1 * torch.rand(20, 1, 4, 4, generator=g)
    out = anomaly_report(Zero(), val, test, [0, 1], ["a", "b", "c"], AnomalyOptions(threshold_quantile=0.9), tmp_path, show=2)
    assert out["normal_classes"] == ["a", "b"] and out["anomalous_classes"] == ["c"]
    assert out["roc_auc"] == 1.0 and out["detection_rate"] == 1.0 and out["n_normal"] == 30 and out["n_anomalous"] == 20
    assert out["threshold"] == pytest.approx(float(torch.quantile(val.pow(2).flatten(1).mean(1).double(), 0.9)), rel=1e-5)
    assert "adversarial" not in out
    for name in ("errors.png", "roc.png", "anomaly_examples.png"):
        assert (tmp_path / name).is_file()


@pytest.mark.parametrize("latent_dim,kind", [(2, "code"), (3, "first two principal directions of the code")])
def test_manifold_report_maps_codes_and_decodes_a_grid(tmp_path, latent_dim, kind):
    from dlbox.models import create_model

    torch.manual_seed(0)
    model = create_model("conv_autoencoder", channels=[4], latent_dim=latent_dim)
    g = torch.Generator().manual_seed(1)
    split = lambda n: {"image": torch.rand(n, 1, 8, 8, generator=g), "label": torch.arange(n) % 3}  # noqa: E731
    out = manifold_report(model, split(60), split(30), ["x", "y", "z"], tmp_path, grid=3)
    assert out["latent_dim"] == latent_dim and out["map"] == kind and out["grid"] == 3
    assert all(lo < hi for lo, hi in zip(out["map_range"]["lo"], out["map_range"]["hi"]))
    assert 0 <= out["knn5_accuracy"] <= 1 and out["test_psnr"] > 0
    assert (tmp_path / "latent_map.png").is_file() and (tmp_path / "latent_grid.png").is_file()
