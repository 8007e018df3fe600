"""Attack metrics: success counted over attacked images only, norms over successes, queries for black-box."""

import pytest
import torch

from dlbox.attacks.base import AttackResult
from dlbox.attacks.metrics import attack_metrics, predict


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


def test_predict_matches_softmax_in_batches_and_restores_the_mode(linear):
    x = torch.rand(11, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    linear.train()
    pred, conf = predict(linear, x, batch_size=4)
    probs = torch.softmax(linear.fc(x.flatten(1)), 1)
    assert torch.equal(pred, probs.argmax(1)) and torch.allclose(conf, probs.max(1).values)
    assert linear.training
