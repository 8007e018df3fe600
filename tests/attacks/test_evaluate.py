import pytest
import torch

from dlbox.attacks.base import AttackResult
from dlbox.attacks.config import AttackConfig
from dlbox.attacks.evaluate import (
    attack_all,
    attack_metrics,
    check_config,
    plot_success_curves,
    resolve_target,
    save_gallery,
    sweep,
)


def _result(adv, success, pred, target=None, queries=None):
    n = len(adv)
    return AttackResult(adv, torch.tensor(success), torch.tensor(pred), torch.full((n,), 0.9),
                        torch.tensor(queries or [1] * n), target)


def test_metrics_count_only_attacked_images_and_measure_successful_perturbations():
    x = torch.zeros(4, 1, 2, 2)
    adv = x.clone()
    adv[0, 0, 0, 0] = 0.3  # success, Linf 0.3, L2 0.3
    adv[1] += 0.1  # success, Linf 0.1, L2 0.2
    adv[3] += 0.5  # "success" on an image the model already got wrong: not attacked
    labels = torch.tensor([0, 1, 2, 3])
    clean_pred = torch.tensor([0, 1, 2, 0])
    r = _result(adv, [True, True, False, True], [5, 5, 2, 5], queries=[10, 30, 100, 1])
    m = attack_metrics(x, labels, clean_pred, r, black_box=True)
    assert m["clean_accuracy"] == 0.75 and m["n_attacked"] == 3 and m["n_success"] == 2
    assert m["success_rate"] == pytest.approx(2 / 3)
    assert m["linf_mean"] == pytest.approx(0.2, abs=1e-6) and m["l2_median"] == pytest.approx(0.25, abs=1e-6)
    assert m["queries_median"] == pytest.approx(20) and m["queries_median_all"] == pytest.approx(30)
    assert m["adversarial_accuracy"] == 0.25


def test_targeted_metrics_skip_images_whose_label_is_the_target():
    x = torch.zeros(3, 1, 2, 2)
    labels = torch.tensor([0, 1, 2])
    r = _result(x.clone(), [True, True, False], [2, 2, 2], target=torch.tensor([2, 2, 2]))
    m = attack_metrics(x, labels, labels.clone(), r)
    assert m["n_attacked"] == 2 and m["success_rate"] == 1.0


def test_resolve_target():
    names = ["circle", "square", "triangle"]
    assert resolve_target("none", names) is None
    assert resolve_target("random", names) == "random"
    assert resolve_target("square", names) == 1
    assert resolve_target("2", names) == 2
    with pytest.raises(ValueError, match="circle, square, triangle"):
        resolve_target("hexagon", names)
    with pytest.raises(ValueError, match="not one the model knows"):
        resolve_target("3", names)


def test_check_config_errors():
    check_config(AttackConfig(eps=[0.1, 0.3]), (1, 8, 8))
    with pytest.raises(ValueError, match="out of range"):
        check_config(AttackConfig(eps=[0.1, 1.2]), (1, 8, 8))
    with pytest.raises(ValueError, match="fgsm, ifgsm, pgd, evolution"):
        check_config(AttackConfig(method="cw"), (1, 8, 8))
    with pytest.raises(ValueError, match="linf, l2"):
        check_config(AttackConfig(norm="l1"), (1, 8, 8))


def test_batched_attack_equals_one_big_batch_for_deterministic_attacks(digits_mlp, attack_batch):
    x, y, t = attack_batch
    small = attack_all(digits_mlp, x, y, 0.1, AttackConfig(method="ifgsm", batch_size=7), t)
    big = attack_all(digits_mlp, x, y, 0.1, AttackConfig(method="ifgsm", batch_size=512), t)
    assert torch.allclose(small.adversarial, big.adversarial, atol=1e-6)
    assert torch.equal(small.target, t)


def test_sweep_gallery_and_curve(tmp_path, digits_mlp, attack_batch):
    x, y, _ = attack_batch
    rows, result = sweep(digits_mlp, x[:16], y[:16], AttackConfig(method="fgsm"), eps_list=[0.05, 0.3])
    assert [r["eps"] for r in rows] == [0.05, 0.3]
    assert rows[1]["success_rate"] >= rows[0]["success_rate"]
    with torch.no_grad():
        conf, pred = digits_mlp(x[:16]).softmax(1).max(1)
    save_gallery(x[:16], result, pred, conf, [str(i) for i in range(10)], tmp_path / "g.png", k=4)
    plot_success_curves({"fgsm": [(r["eps"], r["success_rate"]) for r in rows]}, tmp_path / "c.png")
    assert (tmp_path / "g.png").stat().st_size > 1000 and (tmp_path / "c.png").stat().st_size > 1000
