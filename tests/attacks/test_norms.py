import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.attacks.norms import check_eps, clip_to_box, max_eps, norm_of, project, random_in_ball, steepest_step


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), eps=st.floats(0.01, 3.0), norm=st.sampled_from(["linf", "l2"]), scale=st.floats(0.01, 10.0))
def test_projection_lands_in_the_ball_and_is_idempotent(seed, eps, norm, scale):
    g = torch.Generator().manual_seed(seed)
    delta = torch.randn(5, 1, 4, 4, generator=g) * scale
    p = project(delta, eps, norm)
    assert (norm_of(p, norm) <= eps * (1 + 1e-5)).all()
    assert torch.allclose(project(p, eps, norm), p, atol=1e-6)
    inside = norm_of(delta, norm) <= eps
    assert torch.allclose(p[inside], delta[inside])  # points already inside do not move


def test_l2_projection_scales_onto_the_sphere_along_the_same_direction():
    delta = torch.tensor([[3.0, 4.0]])  # norm 5
    p = project(delta, 1.0, "l2")
    assert torch.allclose(p, torch.tensor([[0.6, 0.8]]))


def test_per_image_eps_tensor():
    delta = torch.ones(2, 3)
    p = project(delta, torch.tensor([0.5, 0.25]), "linf")
    assert torch.equal(p, torch.tensor([[0.5] * 3, [0.25] * 3]))


def test_clipping_to_the_box_never_grows_the_perturbation():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 3, 5, 5, generator=g)
    delta = project(torch.randn(8, 3, 5, 5, generator=g), 0.4, "linf")
    clipped = clip_to_box(x, delta)
    assert ((x + clipped) >= 0).all() and ((x + clipped) <= 1 + 1e-7).all()
    for norm in ("linf", "l2"):
        assert (norm_of(clipped, norm) <= norm_of(delta, norm) + 1e-6).all()


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_random_start_is_inside_the_ball(norm):
    d = random_in_ball((500, 1, 4, 4), 0.7, norm, torch.Generator().manual_seed(1))
    n = norm_of(d, norm)
    assert (n <= 0.7 + 1e-6).all()
    if norm == "l2":  # uniform in volume: most mass near the surface in 16-d
        assert float(n.median()) > 0.6
    else:
        assert float(d.abs().mean()) == pytest.approx(0.35, abs=0.02)


def test_steepest_directions_have_unit_norm():
    g = torch.randn(4, 1, 3, 3)
    assert torch.allclose(norm_of(steepest_step(g, "l2"), "l2"), torch.ones(4), atol=1e-6)
    assert torch.equal(steepest_step(g, "linf"), g.sign())


def test_epsilon_ranges():
    assert max_eps("linf", (1, 8, 8)) == 1.0
    assert max_eps("l2", (1, 8, 8)) == pytest.approx(8.0)
    assert check_eps(0.3, "linf", (1, 8, 8)) == 0.3
    for bad in (0.0, -0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="out of range"):
            check_eps(bad, "linf", (1, 8, 8))
    with pytest.raises(ValueError, match=r"\(0, 8\]"):
        check_eps(9.0, "l2", (1, 8, 8))
    with pytest.raises(ValueError, match="linf, l2"):
        check_eps(0.1, "l1", (1, 8, 8))
