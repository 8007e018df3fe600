"""A Gaussian-mixture prior fitted to a trained VAE's codes: ex-post density estimation (Ghosh et al. 2020, section 4).

A VAE is trained with the prior ``N(0, I)`` (notes 4.1), but the codes its encoder gives the training
images (the aggregate posterior) do not fill that ball evenly: decoding draws from ``N(0, I)`` lands
partly between the clusters of real codes and gives blurred, in-between images. Fitting a small
mixture of full-covariance Gaussians to the training codes ``mu(X)`` after training, and decoding draws
from it, keeps the model and its ELBO (still computed with ``N(0, I)``) and only changes where samples
are drawn. On digits 8x8 (latent size 16, 1,000 samples) the Frechet distance / floor went from 11.9
with ``N(0, I)`` to 3.55 with 10 components (9.97 with one full-covariance Gaussian).

A mixture is three tensors: ``weights (K,)`` summing to 1, ``means (K, D)`` and ``scale_tril (K, D, D)``
(lower Cholesky factors of the covariances), as in ``torch.distributions.MultivariateNormal``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

REG_COVAR = 1e-4  # added to every covariance's diagonal while fitting (keeps a component of few codes positive definite)


class GaussianMixture(NamedTuple):
    weights: torch.Tensor  # (K,) mixing proportions, summing to 1
    means: torch.Tensor  # (K, D)
    scale_tril: torch.Tensor  # (K, D, D) lower-triangular, positive diagonal


def standard_mixture(components: int, dim: int) -> GaussianMixture:
    """``components`` copies of ``N(0, I_dim)`` with equal weights: the same distribution as the notes' prior."""
    if components < 1 or dim < 1:
        raise ValueError(f"a mixture needs at least 1 component and dimension 1, got {components} and {dim}")
    return GaussianMixture(torch.full((components,), 1.0 / components), torch.zeros(components, dim),
                           torch.eye(dim).expand(components, dim, dim).clone())


def fit_gaussian_mixture(codes: torch.Tensor, components: int, seed: int = 0, max_iter: int = 200) -> GaussianMixture:
    """Maximum-likelihood mixture of ``components`` full-covariance Gaussians on ``codes`` ``(N, D)`` (EM, scikit-learn).

    Fewer codes than components is an error. The result is float32 on ``codes``' device.
    """
    from sklearn.mixture import GaussianMixture as SklearnMixture

    if codes.ndim != 2:
        raise ValueError(f"codes must be (N, D), got shape {tuple(codes.shape)}")
    if not 1 <= components <= len(codes):
        raise ValueError(f"a mixture of {components} components needs at least as many codes; got {len(codes)}")
    fitted = SklearnMixture(components, covariance_type="full", reg_covar=REG_COVAR, max_iter=max_iter,
                            random_state=seed).fit(codes.detach().double().cpu().numpy())
    covariances = torch.from_numpy(fitted.covariances_)  # (K, D, D)
    mixture = GaussianMixture(torch.from_numpy(fitted.weights_), torch.from_numpy(fitted.means_), torch.linalg.cholesky(covariances))
    return GaussianMixture(*(t.to(codes.device, torch.float32) for t in mixture))


def sample_gaussian_mixture(mixture: GaussianMixture, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``(num, D)`` draws: a component ``k ~ Categorical(weights)``, then ``means[k] + scale_tril[k] @ eps``, ``eps ~ N(0, I)``.

    Draws come from ``generator`` (on its device; components first, then ``eps``) and land on the mixture's device.
    """
    if num < 1:
        raise ValueError(f"the number of samples must be at least 1, got {num}")
    weights, means, scale_tril = mixture
    gen_device = generator.device if generator is not None else weights.device
    k = torch.multinomial(weights.to(gen_device, torch.float32), num, replacement=True, generator=generator).to(weights.device)  # (num,)
    eps = torch.randn((num, means.shape[1]), generator=generator, device=gen_device).to(means.device)  # (num, D)
    return means[k] + (scale_tril[k] @ eps.unsqueeze(-1)).squeeze(-1)  # (num, D)


def model_mixture(model: torch.nn.Module) -> GaussianMixture | None:
    """The mixture prior a VAE built with ``prior_components > 0`` holds in its buffers, else ``None``."""
    if getattr(model, "prior_components", 0) <= 0:
        return None
    return GaussianMixture(model.prior_weights, model.prior_means, model.prior_scale_tril)


@torch.no_grad()
def fit_model_mixture(model: torch.nn.Module, images: torch.Tensor, seed: int = 0, batch_size: int = 512) -> GaussianMixture:
    """Fit the VAE's mixture prior (``model.prior_components`` components) to the codes ``mu(X)`` of ``images`` ``(N, C, H, W)``.

    The buffers are overwritten in place and the mixture is returned; the model must hold one (``prior_components > 0``).
    With fewer images than components, one component per image is fitted and the others get weight 0.
    """
    current = model_mixture(model)
    if current is None:
        raise ValueError("this VAE was built without a mixture prior (prior_components=0); there is nothing to fit")
    was_training = model.training
    model.eval()
    try:
        device = current.means.device
        codes = torch.cat([model.encode(batch.to(device))[0] for batch in images.split(batch_size)])  # (N, D): mu(X)
    finally:
        model.train(was_training)
    k = len(current.weights)
    fitted = fit_gaussian_mixture(codes, min(k, len(codes)), seed)
    if len(fitted.weights) < k:  # unused components: weight 0, never drawn
        rest = standard_mixture(k - len(fitted.weights), codes.shape[1])
        fitted = GaussianMixture(*(torch.cat([a, b.to(a)]) for a, b in zip(fitted, rest._replace(weights=torch.zeros_like(rest.weights)))))
    for buffer, value in zip(current, fitted):
        buffer.copy_(value)
    return fitted
