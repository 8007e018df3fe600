import pytest
import torch
import torch.nn.functional as F

from dlbox.attacks import fgsm, iterative_fgsm, pgd
from dlbox.attacks.base import ascent_objective, margin
from dlbox.attacks.norms import norm_of


def _in_ball(x, adv, eps, norm):
    assert adv.min() >= 0 and adv.max() <= 1
    assert (norm_of(adv - x, norm) <= eps + 1e-5).all()


@pytest.mark.parametrize("norm,eps", [("linf", 0.1), ("linf", 0.3), ("l2", 0.5), ("l2", 2.0)])
@pytest.mark.parametrize("targeted", [False, True])
def test_pgd_stays_in_the_eps_ball_and_the_box(digits_mlp, attack_batch, norm, eps, targeted):
    x, y, t = attack_batch
    r = pgd(digits_mlp, x, y, eps, norm, steps=10, target=t if targeted else None, generator=torch.Generator().manual_seed(0))
    _in_ball(x, r.adversarial, eps, norm)
    assert r.adversarial.shape == x.shape and r.success.dtype == torch.bool
    assert (r.queries == 11).all()  # 10 steps + the final iterate, each one forward+backward


def test_pgd_fools_an_easy_model(digits_mlp, attack_batch):
    x, y, t = attack_batch
    untargeted = pgd(digits_mlp, x, y, 0.3, steps=20)
    targeted = pgd(digits_mlp, x, y, 0.3, steps=20, target=t)
    assert untargeted.success.float().mean() >= 0.95
    assert targeted.success.float().mean() >= 0.9
    with torch.no_grad():  # success is what the model says about the returned images
        assert torch.equal(digits_mlp(targeted.adversarial).argmax(1) == t, targeted.success)
        assert torch.equal(digits_mlp(untargeted.adversarial).argmax(1), untargeted.pred)


def test_bigger_budget_never_hurts_much(digits_mlp, attack_batch):
    x, y, t = attack_batch
    rates = [float(pgd(digits_mlp, x, y, e, steps=20, target=t).success.float().mean()) for e in (0.05, 0.15, 0.3)]
    assert rates[0] <= rates[1] + 0.05 and rates[1] <= rates[2] + 0.05
    assert rates[2] > rates[0]


def test_fgsm_linf_is_one_signed_gradient_step(digits_mlp, attack_batch):
    x, y, _ = attack_batch
    eps = 0.1
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(digits_mlp(xg), y, reduction="sum"), xg)
    expected = (x + eps * grad.sign()).clamp(0, 1)
    r = fgsm(digits_mlp, x, y, eps)
    assert torch.allclose(r.adversarial, expected, atol=1e-6)


def test_fgsm_l2_step_has_length_eps_before_clipping(linear):
    x = torch.full((3, 1, 4, 4), 0.5)
    y = torch.tensor([0, 1, 2])
    r = fgsm(linear, x, y, 0.2, "l2")
    assert torch.allclose(norm_of(r.adversarial - x, "l2"), torch.full((3,), 0.2), atol=1e-5)


def test_targeted_means_descending_the_loss_to_p(linear):
    """The notes' method: a one-hot target p equals the index target; the objective is -L(f(x), p)."""
    x = torch.rand(6, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    y = linear(x).argmax(1)
    t = (y + 1) % 4
    onehot = F.one_hot(t, 4).float()
    logits = linear(x)
    assert torch.allclose(ascent_objective(logits, y, onehot), -F.cross_entropy(logits, t, reduction="none"))
    a = iterative_fgsm(linear, x, y, 0.3, steps=5, target=t)
    b = iterative_fgsm(linear, x, y, 0.3, steps=5, target=onehot)
    assert torch.equal(a.adversarial, b.adversarial)
    assert a.success.all()  # the linear model is easy: 5 steps of 0.15 suffice


def test_iterative_fgsm_is_deterministic_and_pgd_random_start_is_seeded(digits_mlp, attack_batch):
    x, y, _ = attack_batch
    assert torch.equal(iterative_fgsm(digits_mlp, x, y, 0.1).adversarial, iterative_fgsm(digits_mlp, x, y, 0.1).adversarial)
    a = pgd(digits_mlp, x, y, 0.1, steps=3, generator=torch.Generator().manual_seed(5))
    b = pgd(digits_mlp, x, y, 0.1, steps=3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.adversarial, b.adversarial)


def test_restarts_only_retry_unfooled_images(digits_mlp, attack_batch):
    x, y, t = attack_batch
    r = pgd(digits_mlp, x, y, 0.1, steps=4, target=t, restarts=3, generator=torch.Generator().manual_seed(0))
    assert ((r.queries == 5) | (r.queries == 10) | (r.queries == 15)).all()
    assert (r.queries[r.success] <= 15).all() and (r.queries[~r.success] == 15).all()


def test_attacks_leave_the_model_alone(digits_mlp, attack_batch):
    x, y, _ = attack_batch
    digits_mlp.train()
    try:
        pgd(digits_mlp, x[:4], y[:4], 0.1, steps=2)
        assert digits_mlp.training  # mode restored
    finally:
        digits_mlp.eval()
    assert all(p.grad is None for p in digits_mlp.parameters())  # only the input got a gradient


def test_margin_is_negative_exactly_on_success():
    logp = torch.log_softmax(torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]]), 1)
    y = torch.tensor([0, 0])
    assert (margin(logp, y, None) < 0).tolist() == [False, True]
    t = torch.tensor([1, 1])
    assert (margin(logp, y, t) < 0).tolist() == [False, True]


def test_bad_inputs_are_clear_errors(linear):
    x, y = torch.rand(2, 1, 4, 4), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="out of range"):
        pgd(linear, x, y, 2.0)
    with pytest.raises(ValueError, match="labels"):
        pgd(linear, x, y[:1], 0.1)
    with pytest.raises(ValueError, match="target"):
        pgd(linear, x, y, 0.1, target=torch.tensor([1]))
