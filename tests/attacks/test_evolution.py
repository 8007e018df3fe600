import pytest
import torch

from dlbox.attacks import evolution_attack, probabilities
from dlbox.attacks.norms import norm_of


class Spy:
    """A black box: records every query; fails the test if a gradient could flow."""

    def __init__(self, model):
        self.model, self.images, self.calls = model, 0, 0

    def __call__(self, x):
        assert not torch.is_grad_enabled() and not x.requires_grad
        self.calls += 1
        self.images += len(x)
        return probabilities(self.model)(x)


@pytest.mark.parametrize("norm,eps", [("linf", 0.2), ("l2", 1.5)])
def test_evolution_stays_in_bounds_and_budget_and_never_uses_gradients(digits_mlp, attack_batch, norm, eps):
    x, y, _ = attack_batch
    spy = Spy(digits_mlp)
    r = evolution_attack(spy, x, y, eps, norm, max_queries=150, generator=torch.Generator().manual_seed(0))
    assert r.adversarial.min() >= 0 and r.adversarial.max() <= 1
    assert (norm_of(r.adversarial - x, norm) <= eps + 1e-5).all()
    assert (r.queries <= 150).all() and (r.queries >= 1).all()
    assert int(r.queries.sum()) == spy.images  # every candidate evaluated is counted against its image
    assert all(p.grad is None for p in digits_mlp.parameters())


def test_evolution_fools_an_easy_model_untargeted_and_targeted(digits_mlp, attack_batch):
    x, y, t = attack_batch
    g = torch.Generator().manual_seed(0)
    r = evolution_attack(digits_mlp, x, y, 0.3, max_queries=1000, generator=g)
    assert r.success.float().mean() >= 0.9
    assert float(r.queries[r.success].float().median()) <= 500
    rt = evolution_attack(digits_mlp, x[:32], y[:32], 0.3, target=t[:32], max_queries=2000, generator=g)
    assert rt.success.float().mean() >= 0.5
    with torch.no_grad():  # the reported prediction is the model's on the returned image
        assert torch.equal(digits_mlp(rt.adversarial).argmax(1), rt.pred)


def test_an_image_already_fooled_costs_one_query_and_is_unchanged(linear):
    x = torch.zeros(2, 1, 4, 4)
    x[0, 0, 0, :] = 1.0  # class 0 is the answer for image 0
    x[1, 0, 3, :] = 1.0  # class 3 for image 1
    y = torch.tensor([1, 3])  # image 0 is already misclassified
    r = evolution_attack(linear, x, y, 0.5, max_queries=100, generator=torch.Generator().manual_seed(0))
    assert int(r.queries[0]) == 1 and torch.equal(r.adversarial[0], x[0]) and bool(r.success[0])


def test_evolution_bad_arguments(linear):
    x, y = torch.rand(2, 1, 4, 4), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="max_queries"):
        evolution_attack(linear, x, y, 0.1, population=8, max_queries=5)
    with pytest.raises(ValueError, match="out of range"):
        evolution_attack(linear, x, y, -0.1)
