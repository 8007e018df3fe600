"""``dlbox attack``'s pipeline pieces: config checks, the epsilon sweep, gallery and curve files."""

import pytest
import torch
import torch.nn as nn

from dlbox.tasks.attack.config import AttackConfig, attack_options, check_config
from dlbox.tasks.attack.plots import gallery_order, plot_success_curves, save_gallery
from dlbox.tasks.attack.run import sweep


def block_model() -> nn.Module:
    """logits_k = 4 * (sum of pixel block k): 4 classes over 1x4x4 images, exactly known."""
    fc = nn.Linear(16, 4)
    with torch.no_grad():
        fc.weight.zero_()
        for k in range(4):
            fc.weight[k, 4 * k : 4 * k + 4] = 4.0
        fc.bias.zero_()
    return nn.Sequential(nn.Flatten(), fc).eval()


def block_images(n: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.arange(n) % 4
    x = torch.full((n, 16), 0.3)
    for i, k in enumerate(labels.tolist()):
        x[i, 4 * k : 4 * k + 4] = 0.6  # margin 4 * 4 * 0.3 = 4.8 logits
    return x.view(n, 1, 4, 4), labels


def test_check_config_errors():
    check_config(AttackConfig(eps=[0.1, 0.3]), (1, 8, 8))
    with pytest.raises(ValueError, match="out of range"):
        check_config(AttackConfig(eps=[0.1, 1.2]), (1, 8, 8))
    with pytest.raises(ValueError, match="fgsm, ifgsm, pgd, evolution"):
        check_config(AttackConfig(method="cw"), (1, 8, 8))
    with pytest.raises(ValueError, match="linf, l2"):
        check_config(AttackConfig(norm="l1"), (1, 8, 8))
    with pytest.raises(ValueError, match="max_queries must be at least population"):
        check_config(AttackConfig(max_queries=3), (1, 8, 8))
    with pytest.raises(ValueError, match="give at least one epsilon"):
        check_config(AttackConfig(eps=[]), (1, 8, 8))


def test_attack_options_carry_every_setting_but_eps_and_target():
    cfg = AttackConfig(method="evolution", population=3, max_queries=77, seed=9)
    opts = attack_options(cfg)
    assert opts["method"] == "evolution" and opts["population"] == 3 and opts["max_queries"] == 77 and opts["seed"] == 9
    assert "eps" not in opts and "target" not in opts and "accelerator" not in opts


def test_sweep_gallery_and_curve(tmp_path):
    model = block_model()
    x, y = block_images()
    # The smallest L-inf budget that flips a class here: each of 4 own pixels down and 4 rival pixels up by eps,
    # 32 * eps > 4.8 -> eps > 0.15. So 0.1 fools nothing and 0.3 fools everything.
    rows, result = sweep(model, x, y, AttackConfig(method="fgsm"), eps_list=[0.1, 0.3])
    assert [r["eps"] for r in rows] == [0.1, 0.3]
    assert rows[0]["success_rate"] == 0.0 and rows[1]["success_rate"] == 1.0
    assert rows[1]["linf_median"] == pytest.approx(0.3, abs=1e-6)
    with torch.no_grad():
        conf, pred = model(x).softmax(1).max(1)
    order = gallery_order(y, pred, result)
    assert sorted(order.tolist()) == list(range(len(x)))
    save_gallery(x[order], result, pred, conf, ["a", "b", "c", "d"], tmp_path / "g.png", k=4)
    plot_success_curves({"fgsm": [(r["eps"], r["success_rate"]) for r in rows]}, tmp_path / "c.png")
    assert (tmp_path / "g.png").stat().st_size > 1000 and (tmp_path / "c.png").stat().st_size > 1000


def test_gallery_order_puts_successes_first_then_failures_then_unattacked():
    from dlbox.attacks.base import AttackResult

    labels = torch.tensor([0, 1, 2, 3])
    clean = torch.tensor([0, 1, 0, 3])  # image 2 is misclassified: not attacked
    success = torch.tensor([False, True, True, True])
    r = AttackResult(torch.zeros(4, 1, 2, 2), success, labels, torch.ones(4), torch.ones(4, dtype=torch.long), None)
    assert gallery_order(labels, clean, r).tolist() == [1, 3, 0, 2]
