"""Acceptance figures for generative models (issue 10, notes 4): every kind trained for the same wall time on digits 8x8.

    python benchmarks/generative.py [--minutes 5] [--out benchmarks/out/generative] [--kinds vae gan flow diffusion]
                                    [--no-shapes] [--no-diffusers] [--results benchmarks/RESULTS.md]

Each kind is ``dlbox generate train --model KIND`` with its defaults, except the budget: ``--minutes`` of training
(``train.max_time``). The GAN and the diffusion model train at a constant learning rate and sample from an EMA of
their weights; the VAE and the flow keep their one-cycle schedule, which the loop fits to the steps the time budget
allows (re-estimated as it runs), so it ends annealed when the time does. Every figure comes from the run's own ``metrics.json`` (1,000 samples against the
held-out test split, scored by the cached evaluator classifier), plus, for the diffusion model, ``dlbox generate eval
--sampler ddpm`` (1,000-step ancestral sampling of the same network; both samplers are then timed in turn on the same
network for the speed-up) and, for the VAE, ``--prior standard`` (codes from ``N(0, I)`` instead of the fitted mixture). With ``diffusers`` installed
(``pip install -e .[bench]``) its ``UNet2DModel`` + ``DDPMScheduler`` train on the same images for the same wall
time and are scored the same way (DDIM, 50 steps, ``DDIMScheduler``). Unless ``--no-shapes``, a diffusion model of 32x32
shapes trains too. The results go to ``OUT/generative.json`` and replace the "Generative models" section of ``--results``.

Acceptance targets (``--minutes 5`` on the 2-core development machine):

- diffusion, DDIM 50 steps: Frechet distance <= 1.5 x the floor (train-vs-test distance at the same sample count);
- diffusion, 1000-step ancestral sampling: no worse than DDIM-50; DDIM-50 at least 15x faster per image;
- GAN <= 2.8 x floor; VAE <= 5.5 x floor; flow <= 5.5 x floor;
- predicted-class entropy of every kind's samples >= 2.28 nats (log 10 = 2.303: every digit about equally often);
- flow <= 2.0 bits/dim and the discretised-logistic VAE <= 2.1 bits/dim on the test split (upper bounds);
- shapes 32x32 diffusion samples: at least 80% classified with confidence >= 0.9.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

# No OMP_WAIT_POLICY here (the CLI sets PASSIVE for shared machines): on an idle machine libgomp's default short spin
# made the small networks' steps 1.4-1.8x faster than PASSIVE (GAN 13.4 vs 24 ms, diffusion 40-50 vs 70 ms per step,
# 2 threads; RESULTS.md, "OpenMP wait policy"). Run the benchmark with nothing else on the machine.

KINDS = ("vae", "gan", "flow", "diffusion")
TARGETS = {"diffusion": 1.5, "gan": 2.8, "vae": 5.5, "flow": 5.5}  # Frechet distance / floor
MIN_ENTROPY = 2.28
BITS = {"flow": 2.0, "vae": 2.1}
MIN_SPEEDUP = 15.0
SHAPES_CONFIDENT = 0.8
SECTION = "## Generative models (issue 10, notes 4)"


def _config(kind: str, out: Path, minutes: float, **data: Any):
    from dlbox.tasks.generate.config import default_config

    cfg = default_config(kind)
    cfg.out = str(out)
    cfg.train.max_time = minutes * 60
    cfg.train.epochs = 1_000_000  # the time budget ends the run (and a one-cycle schedule is fitted to it)
    cfg.train.progress = False
    for key, value in data.items():
        setattr(cfg.data, key, value)
    return cfg


def _metrics(run: Path) -> dict[str, Any]:
    return json.loads((run / "metrics.json").read_text())


def _row(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("frechet_distance", "frechet_floor", "frechet_ratio", "class_entropy", "mean_confidence", "confident_fraction",
            "seconds_per_image", "sampler", "test_bits_per_dim", "test_nats", "steps", "train_time_s", "stopped_by", "samples")
    return {k: m[k] for k in keys if k in m}


def train_kinds(kinds: list[str], out: Path, minutes: float, log: Any) -> dict[str, Any]:
    from dlbox.tasks.generate.evaluate import evaluate_run
    from dlbox.tasks.generate.train import train

    results: dict[str, Any] = {}
    for kind in kinds:
        run = train(_config(kind, out / kind, minutes))
        results[kind] = {"run": str(run), **_row(_metrics(run))}
        r = results[kind]
        log(f"{kind}: Frechet {r['frechet_distance']:.3f} / floor {r['frechet_floor']:.3f} = {r['frechet_ratio']:.2f}; "
            f"class entropy {r['class_entropy']:.3f}; {r.get('test_bits_per_dim', float('nan')):.3f} bits/dim; {r['steps']} steps")
        if kind == "vae":  # the notes' N(0, I) prior beside the default fitted mixture, same network
            _, standard = evaluate_run(run, prior="standard", out=out / "vae-standard-prior")
            results["vae_standard_prior"] = _row(standard)
            log(f"vae with the N(0, I) prior: Frechet ratio {standard['frechet_ratio']:.2f}")
        if kind == "diffusion":
            _, ancestral = evaluate_run(run, sampler="ddpm", out=out / "diffusion-ancestral")
            results["diffusion_ancestral"] = _row(ancestral)
            results["diffusion_speed"] = time_samplers(run)
            sp = results["diffusion_speed"]
            log(f"diffusion, 1000-step ancestral: Frechet ratio {ancestral['frechet_ratio']:.2f}; timed in turn: "
                f"{sp['ancestral_ms']:.1f} vs DDIM-50 {sp['ddim_ms']:.2f} ms per image = {sp['speedup']:.1f}x")
    return results


def time_samplers(run: Path, n: int = 250, repeats: int = 3) -> dict[str, Any]:
    """DDIM-50 and 1000-step ancestral sampling of the same saved network, timed in turn in this process.

    ``repeats`` rounds of ``n`` images each, alternating the samplers so both see the same machine state;
    medians of the milliseconds per image, and their ratio.
    """
    import statistics

    from dlbox.tasks.generate.sampling import sample_images
    from dlbox.tasks.generate.saved import load_generate_run

    saved = load_generate_run(run)
    ms: dict[str, list[float]] = {"ddim": [], "ddpm": []}
    for r in range(repeats):
        for sampler in ms:
            options = saved.with_options(sampler=sampler).options
            _, seconds = sample_images(saved.model, options, n, saved.image_shape, saved.levels, seed=r, batch_size=n)
            ms[sampler].append(1000 * seconds)
    ddim, ancestral = statistics.median(ms["ddim"]), statistics.median(ms["ddpm"])
    return {"ddim_ms": ddim, "ancestral_ms": ancestral, "speedup": ancestral / ddim, "images": n, "repeats": repeats,
            "ddim_steps": saved.options.ddim_steps, "timesteps": saved.options.timesteps}


def train_shapes(out: Path, minutes: float, log: Any) -> dict[str, Any]:
    from dlbox.tasks.generate.train import train

    cfg = _config("diffusion", out / "shapes-diffusion", minutes, name="shapes", image_size=32)
    # 2x2 patches: ~2.8x cheaper steps than the pixel U-Net at 32x32 (349 vs 994 ms per batch of 32, one thread)
    cfg.model.kwargs = {"width": 32, "mults": [1, 2, 2], "patch": 2}
    cfg.train.batch_size = 32
    run = train(cfg)
    m = {"run": str(run), **_row(_metrics(run))}
    log(f"shapes 32x32 diffusion: {100 * m['confident_fraction']:.1f}% of samples classified with confidence >= 0.9; "
        f"Frechet ratio {m['frechet_ratio']:.2f}")
    return m


def train_diffusers(out: Path, minutes: float, log: Any, samples: int = 1000) -> dict[str, Any]:
    """diffusers' UNet2DModel + DDPMScheduler on the same digits for the same wall time; DDIM-50 samples, same yardstick."""
    import torch
    from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

    from dlbox.config import DataConfig
    from dlbox.engine.ema import ema_model
    from dlbox.tasks.generate.config import GenerateConfig
    from dlbox.tasks.generate.data import load_generative_data
    from dlbox.tasks.generate.evaluate import sample_quality
    from dlbox.tasks.generate.evaluator import load_evaluator

    torch.manual_seed(0)
    cfg = GenerateConfig(data=DataConfig(name="digits"))  # dlbox's diffusion defaults: T, noise schedule, lr, EMA, batch
    bundle = load_generative_data(cfg.data)
    evaluator, _ = load_evaluator(cfg, bundle)
    unet = UNet2DModel(sample_size=8, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(32, 64),
                       down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"))
    betas = {"linear": "linear", "cosine": "squaredcos_cap_v2"}[cfg.generate.noise_schedule]  # the same forward process as dlbox's
    scheduler = DDPMScheduler(num_train_timesteps=cfg.generate.timesteps, beta_schedule=betas)
    batch_size = int(cfg.train.batch_size)
    ema = ema_model(unet, cfg.train.ema_decay, cfg.train.ema_warmup)  # dlbox's EMA, warm-up included
    optimizer = torch.optim.Adam(unet.parameters(), lr=cfg.optim.lr)
    x_all = bundle.train["image"] * 2 - 1  # (N, 1, 8, 8) in [-1, 1]
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < minutes * 60:
        x0 = x_all[torch.randint(0, len(x_all), (batch_size,))]
        noise = torch.randn_like(x0)
        t = torch.randint(0, cfg.generate.timesteps, (batch_size,))
        loss = torch.nn.functional.mse_loss(unet(scheduler.add_noise(x0, noise, t), t).sample, noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        ema.update_parameters(unet)
        steps += 1
    train_time = time.perf_counter() - start
    net = ema.module.eval()
    ddim = DDIMScheduler.from_config(scheduler.config)
    ddim.set_timesteps(50)
    gen = torch.Generator().manual_seed(0)
    parts, start = [], time.perf_counter()
    with torch.no_grad():
        for i in range(0, samples, 250):
            x = torch.randn(min(250, samples - i), 1, 8, 8, generator=gen)
            for t in ddim.timesteps:
                x = ddim.step(net(x, t).sample, t, x, eta=0.0).prev_sample
            parts.append(((x + 1) / 2).clamp(0, 1))
    seconds = (time.perf_counter() - start) / samples
    fake = torch.cat(parts)
    m = {"steps": steps, "train_time_s": round(train_time, 1), "seconds_per_image": seconds, "sampler": "diffusers DDIMScheduler, 50 steps",
         **{k: v for k, v in sample_quality(fake, bundle.test["image"], bundle.train["image"], evaluator, bundle.class_names).items()
            if k != "class_histogram"}}
    (out / "diffusers").mkdir(parents=True, exist_ok=True)
    (out / "diffusers" / "metrics.json").write_text(json.dumps(m, indent=2))
    log(f"diffusers UNet2DModel: Frechet ratio {m['frechet_ratio']:.2f}, class entropy {m['class_entropy']:.3f}, {steps} steps")
    return m


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(what, target, measured, met) for every acceptance target whose figures were measured."""
    rows = []
    for kind, limit in TARGETS.items():
        if kind in results:
            label = "diffusion DDIM-50" if kind == "diffusion" else kind
            ratio = results[kind]["frechet_ratio"]
            rows.append((f"{label}: Frechet / floor", f"<= {limit}", f"{ratio:.2f}", ratio <= limit))
    if "diffusion" in results and "diffusion_ancestral" in results:
        ddim, anc = results["diffusion"], results["diffusion_ancestral"]
        rows.append(("1000-step ancestral vs DDIM-50 (Frechet / floor)", "no worse", f"{anc['frechet_ratio']:.2f} vs {ddim['frechet_ratio']:.2f}",
                     anc["frechet_ratio"] <= ddim["frechet_ratio"]))
    if "diffusion_speed" in results:
        sp = results["diffusion_speed"]
        rows.append(("DDIM-50 speed-up per image over 1000 steps (timed in turn, one process)", f">= {MIN_SPEEDUP:g}x",
                     f"{sp['speedup']:.1f}x ({sp['ancestral_ms']:.1f} / {sp['ddim_ms']:.2f} ms)", sp["speedup"] >= MIN_SPEEDUP))
    for kind in KINDS:
        if kind in results:
            h = results[kind]["class_entropy"]
            rows.append((f"{kind}: predicted-class entropy (nats)", f">= {MIN_ENTROPY}", f"{h:.3f}", h >= MIN_ENTROPY))
    for kind, limit in BITS.items():
        if kind in results and "test_bits_per_dim" in results[kind]:
            b = results[kind]["test_bits_per_dim"]
            rows.append((f"{kind}: test bits/dim", f"<= {limit}", f"{b:.3f}", b <= limit))
    if "shapes_diffusion" in results:
        c = results["shapes_diffusion"]["confident_fraction"]
        rows.append(("shapes 32x32 diffusion: samples with confidence >= 0.9", f">= {100 * SHAPES_CONFIDENT:.0f}%", f"{100 * c:.1f}%",
                     c >= SHAPES_CONFIDENT))
    return rows


def write_results(path: Path, command: str, machine: str, results: dict[str, Any], minutes: float, wall_s: float) -> None:
    lines = [SECTION, "", f"`{command}` ({minutes:g} min of training per model; total wall time {wall_s / 60:.1f} min).", "", machine, "",
             "| model | sampler | Frechet distance | floor | ratio | class entropy | confident (>= 0.9) | test bits/dim | steps | ms per image |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        if name == "diffusion_speed":
            continue
        bits = f"{r['test_bits_per_dim']:.3f}" if "test_bits_per_dim" in r else "-"
        lines.append(f"| {name} | {r.get('sampler', '')} | {r['frechet_distance']:.3f} | {r['frechet_floor']:.3f} | {r['frechet_ratio']:.2f} | "
                     f"{r['class_entropy']:.3f} | {100 * r['confident_fraction']:.1f}% | {bits} | {r.get('steps', '-')} | "
                     f"{1000 * r['seconds_per_image']:.2f} |")
    lines += ["", "| acceptance target | target | measured | met |", "|---|---|---:|---|"]
    lines += [f"| {what} | {target} | {measured} | {'yes' if met else '**no**'} |" for what, target, measured, met in verdicts(results)]
    section = "\n".join(lines) + "\n"
    text = path.read_text() if path.is_file() else "# Benchmark results\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="training wall time per model")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/generative"))
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    parser.add_argument("--shapes", action=argparse.BooleanOptionalAction, default=True, help="also a 32x32 shapes diffusion model")
    parser.add_argument("--diffusers", action=argparse.BooleanOptionalAction, default=True, help="diffusers' UNet2DModel when installed")
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    out = args.out / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    start = time.perf_counter()

    def log(text: str) -> None:
        print(text, flush=True)

    results = train_kinds(args.kinds, out, args.minutes, log)
    if args.shapes:
        results["shapes_diffusion"] = train_shapes(out, args.minutes, log)
    if args.diffusers:
        try:
            import diffusers  # noqa: F401
        except ImportError:
            log("diffusers is not installed (pip install -e .[bench]); its UNet2DModel is left out")
        else:
            results["diffusers_unet2d"] = train_diffusers(out, args.minutes, log)
    wall = time.perf_counter() - start
    import torch

    machine = (f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY "
               f"{os.environ.get('OMP_WAIT_POLICY', 'unset (libgomp default)')}; "
               f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after.")
    command = "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    (out / "generative.json").write_text(json.dumps({"command": command, "machine": machine, "results": results,
                                                     "verdicts": verdicts(results)}, indent=2))
    write_results(args.results, command, machine, results, args.minutes, wall)
    for what, target, measured, met in verdicts(results):
        log(f"{'met   ' if met else 'MISSED'} {what}: {measured} (target {target})")
    log(f"results: {out / 'generative.json'} and {args.results}")


if __name__ == "__main__":
    main()
