import torch

from dlbox.autoencoders.manifold import Plane, knn_accuracy, latent_grid, map_extent


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
    from dlbox.models import create_model

    m = create_model("conv_autoencoder", channels=[4], latent_dim=2)
    p = Plane(torch.randn(10, 2))
    imgs = latent_grid(m, p, torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0]), 3)
    assert imgs.shape == (9, 1, 8, 8)
    assert torch.allclose(imgs[4:5], m.decode(torch.zeros(1, 2)), atol=1e-6)  # the centre of the grid is z = 0
    assert torch.allclose(imgs[0:1], m.decode(torch.tensor([[-1.0, 1.0]])), atol=1e-6)  # top left: low x, high y


def test_map_extent_drops_the_outer_quantiles_per_axis():
    x = torch.arange(101).float()
    points = torch.stack([x, 10 * x], 1)  # (101, 2)
    lo, hi = map_extent(points, 0.1)
    assert lo.tolist() == [10.0, 100.0] and hi.tolist() == [90.0, 900.0]
