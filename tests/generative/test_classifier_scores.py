import math
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from dlbox.generative.classifier_scores import class_probabilities, mean_confidence, predicted_class_entropy, predicted_class_histogram
from dlbox.models.classifier import Classifier


def test_confidence_and_entropy_by_hand():
    probs = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    assert mean_confidence(probs) == pytest.approx((0.9 + 0.7 + 0.5 + 0.8) / 4)
    assert predicted_class_histogram(probs).tolist() == [0.5, 0.25, 0.25]
    assert predicted_class_entropy(probs) == pytest.approx(-(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)))


def test_entropy_extremes_collapse_and_full_coverage():
    k = 10
    collapsed = torch.nn.functional.one_hot(torch.full((50,), 3), k).float()
    covering = torch.nn.functional.one_hot(torch.arange(50) % k, k).float()
    assert predicted_class_entropy(collapsed) == 0.0 and mean_confidence(collapsed) == 1.0
    assert predicted_class_entropy(covering) == pytest.approx(math.log(k))


def test_class_probabilities_batches_in_eval_mode():
    model = Classifier(nn.Flatten(), nn.Sequential(OrderedDict(drop=nn.Dropout(0.9), fc=nn.Linear(4, 3))), 3)
    x = torch.rand(7, 1, 2, 2)
    p = class_probabilities(model, x, batch_size=3)
    assert p.shape == (7, 3) and torch.allclose(p.sum(1), torch.ones(7))
    with torch.no_grad():
        assert torch.allclose(p, torch.softmax(model.head.fc(x.flatten(1)), 1))  # dropout off
    assert model.training
