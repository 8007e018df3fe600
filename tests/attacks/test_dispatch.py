"""``attack``: the method named runs with its settings, batching changes nothing, bad settings are clear errors."""

import pytest
import torch

from dlbox.attacks import attack, evolution_attack, fgsm, iterative_fgsm, pgd


def test_each_method_is_the_function_it_names(digits_mlp, attack_batch):
    x, y, t = attack_batch
    x, y, t = x[:16], y[:16], t[:16]
    torch.testing.assert_close(attack(digits_mlp, x, y, 0.1, "fgsm", target=t).adversarial, fgsm(digits_mlp, x, y, 0.1, "linf", t).adversarial)
    torch.testing.assert_close(attack(digits_mlp, x, y, 0.1, "ifgsm", "l2", steps=3).adversarial,
                               iterative_fgsm(digits_mlp, x, y, 0.1, "l2", 3).adversarial)
    gen = torch.Generator().manual_seed(5)
    torch.testing.assert_close(attack(digits_mlp, x, y, 0.1, "pgd", steps=4, restarts=2, seed=5).adversarial,
                               pgd(digits_mlp, x, y, 0.1, "linf", 4, None, None, True, 2, gen).adversarial)
    gen = torch.Generator().manual_seed(3)
    ours = attack(digits_mlp, x, y, 0.3, "evolution", population=4, offspring=8, max_queries=60, seed=3)
    ref = evolution_attack(digits_mlp, x, y, 0.3, "linf", None, 4, 8, 1.0, 60, gen)
    torch.testing.assert_close(ours.adversarial, ref.adversarial)
    assert torch.equal(ours.queries, ref.queries) and int(ours.queries.max()) <= 60


def test_batched_attack_equals_one_big_batch_for_deterministic_attacks(digits_mlp, attack_batch):
    x, y, t = attack_batch
    small = attack(digits_mlp, x, y, 0.1, "ifgsm", target=t, batch_size=7)
    big = attack(digits_mlp, x, y, 0.1, "ifgsm", target=t, batch_size=512)
    assert torch.allclose(small.adversarial, big.adversarial, atol=1e-6)
    assert torch.equal(small.target, t) and torch.equal(small.success, big.success)


def test_no_images_is_an_empty_result(linear):
    r = attack(linear, torch.zeros(0, 1, 4, 4), torch.zeros(0, dtype=torch.long), 0.1, "pgd")
    assert r.adversarial.shape == (0, 1, 4, 4) and r.success.shape == (0,) and r.target is None


@pytest.mark.parametrize("kwargs,message", [
    ({"method": "cw"}, "fgsm, ifgsm, pgd, evolution"),
    ({"norm": "l1"}, "linf, l2"),
    ({"eps": 1.5}, "out of range"),
    ({"steps": 0}, "steps must be at least 1"),
    ({"batch_size": 0}, "batch_size must be at least 1"),
    ({"population": 8, "max_queries": 8}, "population \\+ 1 = 9"),
])
def test_bad_settings_are_clear_errors(linear, kwargs, message):
    args = {"eps": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        attack(linear, torch.zeros(2, 1, 4, 4), torch.zeros(2, dtype=torch.long), **args)
