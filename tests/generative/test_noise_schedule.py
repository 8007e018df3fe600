import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.generative.noise_schedule import NoiseSchedule, cosine_betas, linear_betas

LINEAR = NoiseSchedule.from_betas(linear_betas())


def test_linear_betas_match_ddpm_values():
    b = linear_betas()
    assert b.shape == (1000,) and b.dtype == torch.float64
    # DDPM section 4: beta_1 = 1e-4 ... beta_T = 0.02, linear; step (0.02 - 1e-4) / 999
    assert float(b[0]) == pytest.approx(1e-4, rel=1e-12)
    assert float(b[500]) == pytest.approx(1e-4 + 500 * 0.0199 / 999, rel=1e-12)
    assert float(b[999]) == pytest.approx(0.02, rel=1e-12)


def test_alpha_bar_at_T_matches_an_independent_float64_product():
    ref = np.prod([1.0 - (1e-4 + i * (0.02 - 1e-4) / 999) for i in range(1000)])  # plain Python loop
    assert float(LINEAR.alpha_bars[-1]) == pytest.approx(ref, rel=1e-10)
    assert float(LINEAR.alpha_bars[-1]) == pytest.approx(4.0358e-05, rel=1e-4)
    assert float(LINEAR.alpha_bars_prev[0]) == 1.0 and torch.equal(LINEAR.alpha_bars_prev[1:], LINEAR.alpha_bars[:-1])


def test_cosine_schedule_follows_nichol_dhariwal_alpha_bar():
    T, s = 1000, 0.008
    f = [math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2 for t in range(T + 1)]
    sched = NoiseSchedule.from_betas(cosine_betas(T))
    # alpha_bar(t) = f(t) / f(0) wherever the 0.999 clip is inactive (all but the last steps)
    for t in (0, 1, 250, 500, 900):
        assert float(sched.alpha_bars[t]) == pytest.approx(f[t + 1] / f[0], rel=1e-9)
    assert float(sched.alpha_bars[499]) == pytest.approx(0.49384, abs=1e-5)
    b = cosine_betas(T)
    assert float(b.max()) == pytest.approx(0.999) and bool((b[1:] >= b[:-1]).all())
    assert float(sched.alpha_bars[-1]) < 1e-6


def test_one_step_gaussians_compose_to_the_closed_form():
    # x_t | x_{t-1} ~ N(sqrt(alpha_t) x_{t-1}, beta_t): track mean coefficient and variance exactly
    for sched in (LINEAR, NoiseSchedule.from_betas(cosine_betas(1000))):
        coef, var = 1.0, 0.0
        coefs, variances = [], []
        for beta in sched.betas.tolist():
            coef, var = math.sqrt(1 - beta) * coef, (1 - beta) * var + beta
            coefs.append(coef)
            variances.append(var)
        assert np.allclose(coefs, sched.alpha_bars.sqrt().numpy(), rtol=1e-9, atol=1e-12)
        assert np.allclose(variances, (1 - sched.alpha_bars).numpy(), rtol=1e-9, atol=1e-12)


def test_q_sample_matches_iterative_noising_statistically():
    g = torch.Generator().manual_seed(0)
    n, x0 = 20000, 0.7
    x = torch.full((n, 1), x0, dtype=torch.float64)
    checkpoints = {9: None, 99: None, 999: None}
    for t, beta in enumerate(LINEAR.betas.tolist()):
        x = math.sqrt(1 - beta) * x + math.sqrt(beta) * torch.randn(x.shape, generator=g, dtype=torch.float64)
        if t in checkpoints:
            checkpoints[t] = x.clone()
    for t, iterative in checkpoints.items():
        closed = LINEAR.q_sample(torch.full((n, 1), x0, dtype=torch.float64), t, torch.randn(n, 1, generator=g, dtype=torch.float64))
        sd = math.sqrt(1 - float(LINEAR.alpha_bars[t]))
        for sample in (iterative, closed):  # both agree with N(sqrt(a) x0, 1 - a) within 5 standard errors
            assert float(sample.mean()) == pytest.approx(math.sqrt(float(LINEAR.alpha_bars[t])) * x0, abs=5 * sd / math.sqrt(n))
            assert float(sample.std()) == pytest.approx(sd, rel=5 * math.sqrt(2 / n) + 1e-9)


@settings(max_examples=40, deadline=None)
@given(t=st.integers(0, 999), x0=st.floats(-1, 1), xt=st.floats(-3, 3))
def test_posterior_is_bayes_rule_of_the_two_gaussians(t, x0, xt):
    a_prev = 1.0 if t == 0 else float(LINEAR.alpha_bars[t - 1])
    beta = float(LINEAR.betas[t])
    mean, var = LINEAR.posterior_mean_variance(torch.tensor([[x0]], dtype=torch.float64), torch.tensor([[xt]], dtype=torch.float64), t)
    if t == 0:  # x_{-1} is x_0 itself
        assert float(var) == 0 and float(mean) == pytest.approx(x0, abs=1e-12)
        return
    # prior x_{t-1} | x0 ~ N(sqrt(a_prev) x0, 1 - a_prev); likelihood x_t | x_{t-1} ~ N(sqrt(1 - beta) x_{t-1}, beta)
    precision = 1 / (1 - a_prev) + (1 - beta) / beta
    ref_mean = (math.sqrt(a_prev) * x0 / (1 - a_prev) + math.sqrt(1 - beta) * xt / beta) / precision
    assert float(var) == pytest.approx(1 / precision, rel=1e-9)
    assert float(mean) == pytest.approx(ref_mean, rel=1e-8, abs=1e-10)


def test_predict_x0_inverts_q_sample_and_dtype_follows_input():
    x0, noise = torch.rand(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    t = torch.tensor([0, 400, 999])
    xt = LINEAR.q_sample(x0, t, noise)
    assert xt.dtype == torch.float32
    assert torch.allclose(LINEAR.predict_x0(xt, t, noise), x0, atol=2e-3)  # 1/sqrt(alpha_bar_999) ~ 157 amplifies rounding
    assert torch.allclose(LINEAR.predict_x0(xt[:2], t[:2], noise[:2]), x0[:2], atol=1e-5)


def test_int_and_tensor_timesteps_agree_and_to_keeps_values():
    x0, noise = torch.rand(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    assert torch.equal(LINEAR.q_sample(x0, 321, noise), LINEAR.q_sample(x0, torch.full((3,), 321), noise))
    mean_int, var_int = LINEAR.posterior_mean_variance(x0, noise, 321)
    mean_vec, var_vec = LINEAR.posterior_mean_variance(x0, noise, torch.full((3,), 321))
    assert torch.equal(mean_int, mean_vec) and torch.equal(var_int.expand(3, 1, 1, 1), var_vec)
    moved = LINEAR.to("cpu")
    assert moved.num_timesteps == 1000 and torch.equal(moved.alpha_bars, LINEAR.alpha_bars)
    with pytest.raises(ValueError, match="0..999"):
        LINEAR.q_sample(x0, 1000, noise)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="0..999"):
        LINEAR.q_sample(torch.zeros(2, 1), torch.tensor([0, 1000]), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="shape"):
        LINEAR.q_sample(torch.zeros(2, 1), torch.tensor([0, 1, 2]), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="noise shape"):
        LINEAR.q_sample(torch.zeros(2, 1), 3, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="betas"):
        NoiseSchedule.from_betas(torch.tensor([0.1, 1.0]))
    with pytest.raises(ValueError, match="beta_start"):
        linear_betas(10, 0.1, 0.01)
    with pytest.raises(ValueError, match="num_timesteps"):
        cosine_betas(0)
