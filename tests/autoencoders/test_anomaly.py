import pytest
import torch
from hypothesis import given, settings, strategies as st

from dlbox.autoencoders.anomaly import choose_threshold, detection_metrics, filter_classes, normal_class_indices, roc_auc


def test_normal_classes_by_name_index_or_default():
    names = ["0", "1", "2", "3", "circle"]
    assert normal_class_indices(None, names) == [0, 1]
    assert normal_class_indices(["circle", "1"], names) == [1, 4]  # "1" is a name here
    assert normal_class_indices([3], names) == [3]
    with pytest.raises(ValueError, match="0, 1, 2, 3, circle"):
        normal_class_indices(["dog"], names)
    with pytest.raises(ValueError, match="leave at least one"):
        normal_class_indices(names, names)
    with pytest.raises(ValueError, match="at least two classes"):
        normal_class_indices(None, ["only"])


def test_filter_classes_keeps_matching_rows():
    split = {"image": torch.arange(6).float().view(6, 1, 1, 1), "label": torch.tensor([0, 1, 2, 0, 1, 2])}
    kept = filter_classes(split, [0, 2])
    assert kept["label"].tolist() == [0, 2, 0, 2] and kept["image"].flatten().tolist() == [0, 2, 3, 5]


def test_roc_auc_and_threshold():
    from sklearn.metrics import roc_auc_score

    normal, anomalous = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0.25, 0.4, 0.5, 0.6])
    assert roc_auc(normal, anomalous) == pytest.approx(roc_auc_score([0] * 3 + [1] * 4, [0.1, 0.2, 0.3, 0.25, 0.4, 0.5, 0.6]))
    assert roc_auc(torch.tensor([0.0, 0.1]), torch.tensor([1.0, 2.0])) == 1.0
    assert roc_auc(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.1])) == 0.0
    assert roc_auc(torch.tensor([]), anomalous) is None
    t = choose_threshold(torch.arange(101).float(), 0.95)
    assert t == pytest.approx(95.0)
    with pytest.raises(ValueError, match="no held-out normal"):
        choose_threshold(torch.tensor([]))
    m = detection_metrics(normal, anomalous, 0.28)
    assert m["detection_rate"] == 0.75 and m["false_alarm_rate"] == pytest.approx(1 / 3) and m["precision"] == 0.75


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=12),
    st.lists(st.integers(0, 20), min_size=1, max_size=12),
)
def test_roc_auc_is_the_probability_an_anomaly_scores_higher(normal, anomalous):
    # ROC-AUC = P(score_anomalous > score_normal) + P(equal) / 2 (the Mann-Whitney statistic), counted over all pairs.
    pairs = [(a > n) + 0.5 * (a == n) for a in anomalous for n in normal]
    assert roc_auc(torch.tensor(normal).float(), torch.tensor(anomalous).float()) == pytest.approx(sum(pairs) / len(pairs))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1, width=32), min_size=1, max_size=30), st.lists(st.floats(0, 1, width=32), min_size=1, max_size=30),
       st.floats(0, 1, width=32))
def test_detection_rates_count_scores_above_the_threshold(normal, anomalous, threshold):
    m = detection_metrics(torch.tensor(normal), torch.tensor(anomalous), threshold)
    assert m["detection_rate"] == pytest.approx(sum(a > threshold for a in anomalous) / len(anomalous))
    assert m["false_alarm_rate"] == pytest.approx(sum(n > threshold for n in normal) / len(normal))
    assert m["n_normal"] == len(normal) and m["n_anomalous"] == len(anomalous)
