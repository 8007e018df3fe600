"""Loop overhead: dlbox's training (Fabric loop, progress bar, CSV+TensorBoard logging; then also with a
checkpoint every epoch) against a hand-written PyTorch loop: same model, optimizer, schedule, in-memory data
and batch size, validation every epoch in all three.

Rounds rotate the order of the three in one process; the figures are median per-round ratios of images/s.

    python benchmarks/loop_overhead.py --batch-sizes 16 256 --rounds 5 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from dlbox.config import DataConfig, OptimConfig, TrainConfig  # noqa: E402
from dlbox.data import load_dataset, make_loader  # noqa: E402
from dlbox.engine.fabric_setup import make_loggers  # noqa: E402
from dlbox.engine.loop import fit  # noqa: E402
from dlbox.engine.optim import build_optimizer, build_scheduler  # noqa: E402
from dlbox.models import create_model  # noqa: E402
from dlbox.engine.training import LoopTask, Run  # noqa: E402
from dlbox.tasks.classify.config import ClassifyConfig  # noqa: E402
from dlbox.tasks.classify.step import ClassificationStep  # noqa: E402


def build(seed: int, steps: int):
    torch.manual_seed(seed)
    model = create_model("cnn", in_channels=1, num_classes=10, image_size=8)
    opt = build_optimizer(model.parameters(), OptimConfig())
    sched = build_scheduler(opt, OptimConfig(), steps, steps)
    return model, opt, sched


def raw_loop(data, val, batch_size: int, epochs: int) -> tuple[float, float]:
    """The hand-written baseline: (images per wall second, images per CPU second), validating each epoch like dlbox."""
    x, y = data["image"], data["label"]
    n = len(y)
    steps = epochs * -(-n // batch_size)
    model, opt, sched = build(0, steps)
    t0, c0 = time.perf_counter(), time.process_time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            F.cross_entropy(model(val["image"]), val["label"]).item()
    return epochs * n / (time.perf_counter() - t0), epochs * n / (time.process_time() - c0)


def dlbox_loop(fabric, data, val, batch_size: int, epochs: int, workdir: Path, checkpoints: bool) -> tuple[float, float]:
    loader = make_loader(data, batch_size, shuffle=True, seed=0)
    model, opt, sched = build(0, epochs * len(loader))
    model, opt = fabric.setup(model, opt)
    cfg = TrainConfig(epochs=epochs, progress=True, log_every=50)
    run = Run(fabric, ClassifyConfig(train=cfg), None, model, {"model": opt}, {"model": sched}, None, loader,
              make_loader(val, 512, shuffle=False), batch_size, workdir)
    task = LoopTask(run, ClassificationStep(run))  # what engine.training.train hands the loop
    workdir.mkdir(parents=True)
    loggers = make_loggers(workdir)  # set-up, like building the model: outside the timed region for both loops
    t0, c0 = time.perf_counter(), time.process_time()
    result = fit(fabric, task, loader, cfg, ckpt_dir=workdir if checkpoints else None, loggers=loggers)
    return result.state.samples / (time.perf_counter() - t0), result.state.samples / (time.process_time() - c0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 256])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from lightning_fabric import Fabric

    fabric = Fabric(accelerator="cpu", devices=1)
    fabric.launch()
    bundle = load_dataset(DataConfig())
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for bs in args.batch_sizes:
            raw_loop(bundle.train, bundle.val, bs, 1)  # warm-up (allocator, oneDNN kernels)
            rows: dict[str, list[float]] = {"raw": [], "raw_cpu": [], "dlbox": [], "dlbox_cpu": [], "dlbox+ckpt": [], "dlbox+ckpt_cpu": []}
            for r in range(args.rounds):
                runs = [
                    ("raw", lambda: raw_loop(bundle.train, bundle.val, bs, args.epochs)),
                    ("dlbox", lambda: dlbox_loop(fabric, bundle.train, bundle.val, bs, args.epochs, Path(tmp) / f"{bs}-{r}-a", False)),
                    ("dlbox+ckpt", lambda: dlbox_loop(fabric, bundle.train, bundle.val, bs, args.epochs, Path(tmp) / f"{bs}-{r}-b", True)),
                ]
                # Rotate the order every round so drifting machine load favours none of them.
                for name, fn in runs[r % 3 :] + runs[: r % 3]:
                    wall, cpu = fn()
                    rows[name].append(wall)
                    rows[name + "_cpu"].append(cpu)
                print(
                    f"batch {bs} round {r}: raw {rows['raw'][-1]:,.0f} img/s; dlbox/raw {rows['dlbox'][-1] / rows['raw'][-1]:.3f}; "
                    f"with checkpoints {rows['dlbox+ckpt'][-1] / rows['raw'][-1]:.3f}",
                    flush=True,
                )
            summary = {"raw_img_s_median": statistics.median(rows["raw"])}
            for name in ("dlbox", "dlbox+ckpt"):
                summary[name] = {
                    "img_s_median": statistics.median(rows[name]),
                    "wall_ratio_median": statistics.median(a / b for a, b in zip(rows[name], rows["raw"])),
                    "cpu_time_ratio_median": statistics.median(a / b for a, b in zip(rows[name + "_cpu"], rows["raw_cpu"])),
                }
            results[bs] = summary
            print(
                f"batch {bs}: median wall ratio {summary['dlbox']['wall_ratio_median']:.3f} (progress bar + logging), "
                f"{summary['dlbox+ckpt']['wall_ratio_median']:.3f} (+ a checkpoint every epoch); CPU-time ratios "
                f"{summary['dlbox']['cpu_time_ratio_median']:.3f} / {summary['dlbox+ckpt']['cpu_time_ratio_median']:.3f}",
                flush=True,
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
