import pytest
import torch

from dlbox.autoencoders.anomaly import choose_threshold, detection_metrics, filter_classes, normal_class_indices, roc_auc
from dlbox.autoencoders.manifold import Plane, knn_accuracy, latent_grid


def test_normal_classes_by_name_index_or_default():
    names = ["0", "1", "2", "3", "circle"]
    assert normal_class_indices(None, names) == [0, 1]
    assert normal_class_indices(["circle", "1"], names) == [1, 4]  # "1" is a name here
    assert normal_class_indices([3], names) == [3]
    with pytest.raises(ValueError, match="0, 1, 2, 3, circle"):
        normal_class_indices(["dog"], names)
    with pytest.raises(ValueError, match="leave at least one"):
        normal_class_indices(names, names)


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
    m = detection_metrics(normal, anomalous, 0.28)
    assert m["detection_rate"] == 0.75 and m["false_alarm_rate"] == pytest.approx(1 / 3) and m["precision"] == 0.75


def test_plane_is_identity_in_2d_and_pca_otherwise():
    g = torch.Generator().manual_seed(0)
    codes2 = torch.randn(50, 2, generator=g)
    assert torch.equal(Plane(codes2).to_map(codes2), codes2)
    # 3-D codes lying on a plane: mapping to 2-D and back is exact
    basis = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]])
    codes3 = torch.randn(50, 2, generator=g) @ basis + torch.tensor([1.0, 2.0, 3.0])
    p = Plane(codes3)
    assert torch.allclose(p.to_code(p.to_map(codes3)), codes3, atol=1e-4)


def test_knn_accuracy_on_separated_clusters():
    a = torch.randn(20, 2) * 0.1
    b = torch.randn(20, 2) * 0.1 + 5
    codes = torch.cat([a, b])
    labels = torch.tensor([0] * 20 + [1] * 20)
    assert knn_accuracy(codes, labels, codes + 0.01, labels) == 1.0
    assert knn_accuracy(codes, labels, codes, 1 - labels) == 0.0


def test_latent_grid_decodes_a_regular_grid():
    import dlbox.models.autoencoder  # noqa: F401
    from dlbox.models import create_model

    m = create_model("conv_autoencoder", channels=[4], latent_dim=2)
    p = Plane(torch.randn(10, 2))
    imgs = latent_grid(m, p, torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0]), 3)
    assert imgs.shape == (9, 1, 8, 8)
    assert torch.allclose(imgs[4:5], m.decode(torch.zeros(1, 2)), atol=1e-6)  # the centre of the grid is z = 0
