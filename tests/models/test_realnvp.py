import pytest
import torch

from dlbox.models import create_model
from dlbox.models.realnvp import CHECKERBOARD, CHANNEL, coupling_mask


def randomised(model, std=0.05):
    """Non-zero s/t networks (the output layers start at zero, making the flow the identity)."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * std)
    return model


@pytest.mark.parametrize(("c", "size", "scales"), [(1, 4, 1), (1, 4, 2), (1, 8, 3), (3, 8, 2), (3, 32, 3)])
def test_inverse_recovers_the_input(c, size, scales):
    m = randomised(create_model("realnvp", in_channels=c, image_size=size, num_scales=scales, hidden=8))
    x = torch.randn(3, c, size, size)
    z, log_det = m(x)
    assert z.shape == x.shape and log_det.shape == (3,)
    assert not torch.allclose(z, x, atol=1e-2)  # a non-trivial map
    with torch.no_grad():
        assert torch.allclose(m.inverse(z), x, atol=1e-5), float((m.inverse(z) - x).abs().max())
        x64 = x.double()
        assert torch.allclose(m.double().inverse(m(x64)[0]), x64, atol=1e-12)  # exact up to rounding


@pytest.mark.parametrize("scales", [1, 2])
def test_log_det_matches_the_autograd_jacobian(scales):
    m = randomised(create_model("realnvp", in_channels=1, image_size=4, num_scales=scales, hidden=8)).double()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: m(v)[0], x).reshape(16, 16)
    sign, logabsdet = torch.linalg.slogdet(jac)
    with torch.no_grad():
        assert float(m(x)[1]) == pytest.approx(float(logabsdet), rel=1e-8, abs=1e-8)
        assert abs(float(logabsdet)) > 0.1  # the test is not vacuous
        # one image's log-det does not depend on the rest of the batch
        batch = torch.cat([x, torch.randn(2, 1, 4, 4, dtype=torch.float64)])
        assert float(m(batch)[1][0]) == pytest.approx(float(m(x)[1][0]), rel=1e-12)


def test_masks():
    like = torch.zeros(1)
    board = coupling_mask(CHECKERBOARD, 0, (1, 3, 4, 4), like)[0, 0]
    assert board.tolist()[0] == [1, 0, 1, 0] and board.tolist()[1] == [0, 1, 0, 1]
    assert torch.equal(coupling_mask(CHECKERBOARD, 1, (1, 3, 4, 4), like)[0, 0], 1 - board)
    assert coupling_mask(CHANNEL, 0, (1, 4, 2, 2), like).flatten().tolist() == [1, 1, 0, 0]
    assert coupling_mask(CHANNEL, 1, (1, 4, 2, 2), like).flatten().tolist() == [0, 0, 1, 1]


def test_starts_as_identity_and_bad_sizes():
    m = create_model("realnvp", image_size=8)
    x = torch.randn(2, 1, 8, 8)
    z, log_det = m(x)
    assert torch.allclose(z, x) and torch.equal(log_det, torch.zeros(2))
    with pytest.raises(ValueError, match="fewer scales"):
        create_model("realnvp", image_size=8, num_scales=4)
    with pytest.raises(ValueError, match="fewer scales"):
        create_model("realnvp", image_size=6, num_scales=3)
