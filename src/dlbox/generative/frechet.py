"""Frechet distance between real and generated images in a dlbox classifier's feature space.

FID (Heusel et al. 2017) with the classifier's penultimate features (the input of its last ``nn.Linear``)
in place of Inception's: both image sets are summarised by Gaussians ``N(mu, Sigma)`` of their
features, compared by ``||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^{1/2})``.
:func:`frechet_distance` runs torchmetrics' ``FrechetInceptionDistance`` with :class:`ClassifierFeatures`
as its feature extractor; :func:`gaussian_frechet_distance` is the closed form, computed independently.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torchmetrics.image.fid import FrechetInceptionDistance


def _last_linear_name(classifier: nn.Module) -> str:
    names = [name for name, m in classifier.named_modules() if isinstance(m, nn.Linear)]
    if not names:
        raise ValueError(f"the feature model {type(classifier).__name__} has no nn.Linear layer whose input could serve as features")
    return names[-1]


class ClassifierFeatures(nn.Module):
    """``(B, C, H, W)`` images -> ``(B, num_features)``: the input of the classifier's last ``nn.Linear``.

    ``num_features`` is set so torchmetrics need not probe the network. The classifier is run as is
    (put it in eval mode first); its logits are computed and discarded.
    """

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier
        self.layer_name = _last_linear_name(classifier)
        self.num_features = int(classifier.get_submodule(self.layer_name).in_features)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        captured: list[torch.Tensor] = []
        handle = self.classifier.get_submodule(self.layer_name).register_forward_pre_hook(lambda _m, inputs: captured.append(inputs[0]))
        try:
            self.classifier(images)
        finally:
            handle.remove()
        return captured[-1].flatten(1)  # (B, num_features)


@torch.no_grad()
def frechet_distance(real: torch.Tensor, fake: torch.Tensor, feature_model: nn.Module, batch_size: int = 256) -> float:
    """Frechet distance of ``fake`` ``(N, C, H, W)`` to ``real`` ``(M, C, H, W)`` (images in [0, 1]).

    ``feature_model`` is a classifier trained on the real data; it stays on its device, the images are
    moved there in batches, and its train/eval mode is restored after.
    Both sets need at least 2 images; with fewer images than features the covariances are singular
    and the figure is biased upwards (compare runs at equal sample counts).
    """
    if real.shape[0] < 2 or fake.shape[0] < 2:
        raise ValueError(f"Frechet distance needs at least 2 real and 2 fake images, got {real.shape[0]} and {fake.shape[0]}")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real images {tuple(real.shape[1:])} and fake images {tuple(fake.shape[1:])} differ in shape")
    device = next(feature_model.parameters()).device
    was_training = feature_model.training
    feature_model.eval()
    try:
        metric = FrechetInceptionDistance(feature=ClassifierFeatures(feature_model), normalize=True).to(device)
        for images, is_real in ((real, True), (fake, False)):
            for batch in images.split(batch_size):
                metric.update(batch.to(device), real=is_real)
        return float(metric.compute())
    finally:
        feature_model.train(was_training)


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``(F,)`` and unbiased covariance ``(F, F)`` of ``(N, F)`` features, in float64."""
    f = features.double()
    return f.mean(0), torch.cov(f.T)


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


def gaussian_frechet_distance(mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor) -> float:
    """Closed-form Frechet (2-Wasserstein squared) distance between ``N(mu1, cov1)`` and ``N(mu2, cov2)``.

    Dowson & Landau 1982: ``||mu1 - mu2||^2 + Tr(cov1) + Tr(cov2) - 2 Tr((cov1 cov2)^{1/2})``, where
    ``Tr((cov1 cov2)^{1/2}) = Tr((S cov2 S)^{1/2})`` with ``S = cov1^{1/2}`` (symmetric square roots only).
    """
    mu1, mu2, cov1, cov2 = (torch.as_tensor(a, dtype=torch.float64) for a in (mu1, mu2, cov1, cov2))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (mu1.numel(), mu1.numel()):
        raise ValueError(f"need means (F,) and covariances (F, F) of one F, got {tuple(mu1.shape)}, {tuple(mu2.shape)}, {tuple(cov1.shape)}, {tuple(cov2.shape)}")
    s = _sqrt_psd(cov1)
    cross = torch.linalg.eigvalsh((s @ cov2 @ s + (s @ cov2 @ s).T) / 2).clamp_min(0).sqrt().sum()
    return float((mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * cross)
