"""``dlbox generate train --model vae|gan|flow|diffusion``: the run configuration (saved as ``config.yaml``).

The shared sections plus ``generate``: the kind of generative model (notes 4.1-4.4), the options of
that kind, and what the finished run measures. :func:`default_config` gives each kind its own model,
optimizer and budget, tuned on digits 8x8 to finish within about three minutes on two CPU cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.config import ModelConfig, OptimConfig, TrainConfig, TrainRunConfig

KINDS = ("vae", "gan", "flow", "diffusion")
MODELS = {"vae": "vae", "gan": "gan", "flow": "realnvp", "diffusion": "diffusion_unet"}  # kind -> registered model
LIKELIHOODS = ("discretized", "gaussian")
GAN_LOSSES = ("nonsaturating", "hinge")
NOISE_SCHEDULES = ("linear", "cosine")
SAMPLERS = ("ddim", "ddpm")
PRIORS = ("mixture", "standard")  # where VAE samples draw their codes
MONITORS = {
    "vae": ("val_loss",),  # negative ELBO, bits/dim
    "gan": ("val_class_entropy", "val_confidence"),  # the mode-collapse alarm
    "flow": ("val_loss",),  # NLL, bits/dim
    "diffusion": ("val_loss",),  # epsilon MSE on fixed draws
}
# The VAE and the flow report likelihoods selected on the validation split (issue 10): training stops once the validation
# bound has not improved for this many epochs, and the best epoch's weights are the run's (digits: ~20 steps an epoch).
PATIENCE = 25
# generate.* fields that only one kind reads: setting one for another kind is an error
KIND_OF_FIELD = {
    "beta": "vae", "likelihood": "vae", "sigma": "vae", "prior": "vae", "prior_components": "vae",
    "gan_loss": "gan", "adam_beta1": "gan", "real_label": "gan",
    "temperature": "flow",
    "noise_schedule": "diffusion", "timesteps": "diffusion", "sampler": "diffusion", "ddim_steps": "diffusion", "eta": "diffusion",
    "min_snr_gamma": "diffusion",
}


@dataclass
class GenerateOptions:
    """What is specific to generative models: the kind, its options, and the finished run's measurements."""

    kind: str = "diffusion"  # vae | gan | flow | diffusion (the CLI's --model)
    # vae (notes 4.1)
    beta: float = 1.0  # weight of the KL term in the training loss (beta-VAE); reported bounds use 1
    likelihood: str = "discretized"  # discretized (logistic, exact on discrete pixels) | gaussian (fixed sigma)
    sigma: float = 0.1  # gaussian likelihood: the decoder's pixel standard deviation
    # Samples decode codes drawn from a mixture of prior_components full-covariance Gaussians fitted after training to
    # the training images' codes (ex-post density estimation, Ghosh et al. 2020), or from N(0, I) ("standard", the
    # notes' prior). The ELBO always uses N(0, I). Digits 8x8, 1,000 samples: Frechet / floor 11.9 (standard) -> 3.55 (10)
    prior: str = "mixture"  # mixture | standard
    prior_components: int = 10  # components of the fitted mixture; 0: none is fitted (needs prior standard)
    # gan (notes 4.2)
    gan_loss: str = "nonsaturating"  # nonsaturating | hinge
    adam_beta1: float = 0.5  # Adam's first-moment decay for both players (Radford et al. 2016, section 4)
    real_label: float = 1.0  # nonsaturating loss: the discriminator's target for real images; < 1: one-sided label
    # smoothing (Salimans et al. 2016, 3.4). The hinge loss has no labels (its margin bounds D's confidence) and ignores it
    # flow (notes 4.3)
    temperature: float = 1.0  # samples invert z ~ N(0, temperature^2 I)
    # diffusion (notes 4.4)
    noise_schedule: str = "cosine"  # cosine (Nichol & Dhariwal 2021; better at 8x8 here) | linear (DDPM) betas
    timesteps: int = 1000  # T, steps of the forward process
    sampler: str = "ddim"  # ddim | ddpm (ancestral, T steps)
    ddim_steps: int = 50  # DDIM steps S <= T
    eta: float = 0.0  # DDIM noise: 0 deterministic, 1 DDPM-like
    # Min-SNR-gamma loss weights (Hang et al. 2023); None: unweighted L_simple. 5 (the paper's): Frechet ratio 2.54 -> 2.18 at
    # 1,500 steps on digits 8x8 (1,000 DDIM-50 samples), at the same step time
    min_snr_gamma: float | None = 5.0
    # what the finished run measures
    samples: int = 1000  # generated images for the Frechet distance and the class scores
    evaluator: str | None = None  # a classify run on the same data; None: train one (cached per dataset)
    grid: int = 8  # samples.png is grid x grid samples
    interpolation_steps: int = 8  # images along each latent path in interpolations.png


@dataclass
class GenerateConfig(TrainRunConfig):
    """``dlbox generate train``: the shared sections (with the diffusion defaults) plus ``generate``."""

    # width 16: ~2.4x the steps of width 32 in the same time on a CPU; at equal time (3,500 vs 1,500 steps) the better model
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="diffusion_unet", kwargs={"width": 16, "mults": [1, 2]}))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=2e-3, schedule="none"))  # constant: the EMA averages
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(epochs=150, batch_size=128, monitor="val_loss", ema=True, ema_decay=0.999, ema_warmup=True,
                                    max_time=120.0)
    )
    generate: GenerateOptions = field(default_factory=GenerateOptions)


def default_config(kind: str = "diffusion") -> GenerateConfig:
    """The defaults of ``kind`` (digits 8x8; each within about three minutes on two CPU cores).

    ``train.max_time`` caps the training (150 s; diffusion 120 s, whose 1,000 DDIM samples at the end take ~15 s more).
    The GAN and the diffusion model train at a constant learning rate and sample from an EMA of their weights, so a
    run cut by the time budget ends as well as any; the VAE and the flow use a one-cycle schedule sized to finish
    within the budget on an idle machine (refitted to the time left when the budget ends it first) and stop early
    on their validation bound, keeping the best epoch's weights (``train.patience``).
    """
    if kind not in KINDS:
        raise ValueError(f"generate --model {kind!r} is not valid; choose from {', '.join(KINDS)}")
    cfg = GenerateConfig(generate=GenerateOptions(kind=kind))
    cfg.model.name = MODELS[kind]
    if kind == "vae":
        cfg.model.kwargs = {"channels": [32, 64], "hidden": [256], "latent_dim": 16}
        cfg.optim.lr, cfg.optim.schedule = 2e-3, "onecycle"
        cfg.train.epochs, cfg.train.batch_size, cfg.train.ema, cfg.train.max_time = 200, 64, False, 150.0
        cfg.train.patience = PATIENCE  # selected on validation: 1,437 digits overfit within a few hundred epochs
    elif kind == "gan":
        # Digits 8x8, 12,000 steps (5 minutes on two idle cores), Frechet distance / floor: base 2 gives each player two
        # stride-2 stages (base 4, widths 128: one hidden layer each, D at chance, 14.3x); widths 32/32: 4.3x, D 64: 3.3x,
        # with one-sided label smoothing 0.9: 3.1x; G 32 / D 64 steps as fast as the one-stage width-128 pair did.
        cfg.model.kwargs = {"latent_dim": 32, "g_width": 32, "d_width": 64, "base": 2}
        cfg.generate.real_label = 0.9
        cfg.optim.lr = 5e-4
        cfg.train.epochs, cfg.train.batch_size, cfg.train.ema_decay, cfg.train.max_time = 300, 64, 0.999, 150.0
        cfg.train.ema_warmup = False  # tuned without the warm-up
        cfg.train.monitor = "val_class_entropy"
    elif kind == "flow":
        cfg.model.kwargs = {"num_scales": 2, "hidden": 64, "depth": 2}
        cfg.optim.lr, cfg.optim.schedule = 1e-3, "onecycle"
        cfg.train.epochs, cfg.train.batch_size, cfg.train.ema, cfg.train.max_time = 60, 64, False, 150.0
        cfg.train.grad_clip = 100.0
        cfg.train.patience = PATIENCE
    return cfg


def check_options(cfg: GenerateConfig) -> None:
    """The ``generate`` section: valid values, the kind's own network, and no option of another kind."""
    g = cfg.generate
    if g.kind not in KINDS:
        raise ValueError(f"--model (generate.kind) {g.kind!r} is not valid; choose from {', '.join(KINDS)}")
    if cfg.model.name != MODELS[g.kind]:
        raise ValueError(f"generate --model {g.kind} trains the registered model {MODELS[g.kind]!r}; model.name is {cfg.model.name!r}")
    choices = [("likelihood", g.likelihood, LIKELIHOODS), ("gan_loss", g.gan_loss, GAN_LOSSES),
               ("noise_schedule", g.noise_schedule, NOISE_SCHEDULES), ("sampler", g.sampler, SAMPLERS),
               ("prior", g.prior, PRIORS)]
    for key, value, valid in choices:
        if value not in valid:
            raise ValueError(f"generate.{key} {value!r} is not valid; choose from {', '.join(valid)}")
    bounds = [("beta", g.beta, g.beta >= 0, "non-negative"), ("sigma", g.sigma, g.sigma > 0, "positive"),
              ("adam_beta1", g.adam_beta1, 0 <= g.adam_beta1 < 1, "in [0, 1)"),
              ("real_label", g.real_label, 0.5 < g.real_label <= 1, "in (0.5, 1]"), ("temperature", g.temperature, g.temperature > 0, "positive"),
              ("timesteps", g.timesteps, g.timesteps >= 1, "at least 1"), ("eta", g.eta, g.eta >= 0, "non-negative"),
              ("ddim_steps", g.ddim_steps, 1 <= g.ddim_steps <= g.timesteps, f"in 1..{g.timesteps} (generate.timesteps)"),
              ("samples", g.samples, g.samples >= 2, "at least 2"), ("grid", g.grid, g.grid >= 1, "at least 1"),
              ("interpolation_steps", g.interpolation_steps, g.interpolation_steps >= 2, "at least 2"),
              ("min_snr_gamma", g.min_snr_gamma, g.min_snr_gamma is None or g.min_snr_gamma > 0, "positive or null (unweighted)"),
              ("prior_components", g.prior_components, g.prior_components >= 0, "0 (no fitted prior) or more")]
    for key, value, ok, what in bounds:
        if not ok:
            raise ValueError(f"generate.{key} must be {what}, got {value}")
    defaults = GenerateOptions()
    for key, kind in KIND_OF_FIELD.items():
        if getattr(g, key) != getattr(defaults, key) and g.kind != kind:
            raise ValueError(f"generate.{key} does nothing with --model {g.kind} (only {kind} uses it); remove it")
    if g.kind == "vae" and g.likelihood != "gaussian" and g.sigma != defaults.sigma:
        raise ValueError("generate.sigma is the Gaussian decoder's pixel deviation; it needs generate.likelihood gaussian")
    if g.kind == "vae" and g.prior == "mixture" and g.prior_components < 1:
        raise ValueError("generate.prior mixture samples from a fitted mixture, which needs generate.prior_components >= 1; "
                         "set generate.prior standard to sample from N(0, I) without one")
    if g.kind == "vae" and cfg.model.kwargs.get("prior_components", g.prior_components) != g.prior_components:
        raise ValueError(f"model.kwargs.prior_components {cfg.model.kwargs['prior_components']!r} differs from "
                         f"generate.prior_components {g.prior_components!r}; set generate.prior_components only")
    if g.kind == "vae" and cfg.model.kwargs.get("likelihood", g.likelihood) != g.likelihood:
        raise ValueError(f"model.kwargs.likelihood {cfg.model.kwargs['likelihood']!r} differs from generate.likelihood "
                         f"{g.likelihood!r}; set generate.likelihood only")
