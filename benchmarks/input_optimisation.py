"""Acceptance benchmarks for issue 4, sections 1-3 (notes 3.9): visualization, DeepDream, style transfer.

    python benchmarks/input_optimisation.py                   # everything (about 25 min on 2 busy CPU cores)
    python benchmarks/input_optimisation.py --only visualize dream
    python benchmarks/input_optimisation.py --digits-run RUN --shapes-run RUN   # reuse trained classifiers

No ImageNet weights are reachable offline, so the classifiers are dlbox CNNs
trained here on digits (8x8 gray) and shapes (64x64 RGB), and style transfer
uses torchvision's VGG with random weights (``--weights random``): its losses
behave as the method says, its pictures are texture-like rather than artistic.
Every figure comes from the same API the CLI calls; run directories are kept
under ``--out`` (default benchmarks/out/input_optimisation) and a JSON summary
is written to ``summary.json`` there.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SECTIONS = ("visualize", "invert", "dream", "gatys", "perceptual")


def train_classifier(data: str, out: Path, epochs: int, channels: list[int]) -> Path:
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.tasks.classify.train import train

    cfg = ClassifyConfig(out=str(out))
    cfg.data.name = data
    cfg.model.name = "cnn"
    cfg.model.kwargs = {"channels": channels}
    cfg.train.epochs = epochs
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    t0 = time.perf_counter()
    run = train(cfg)
    acc = json.loads((run / "metrics.json").read_text())["test_acc"]
    print(f"trained {data} cnn {channels}: test acc {acc:.4f} in {time.perf_counter() - t0:.0f} s -> {run}", flush=True)
    return run


def bench_visualize(runs: dict[str, Path], out: Path, steps: int) -> list[dict]:
    from dlbox.optimize_input import OptimizeConfig
    from dlbox.tasks.visualize.channels import run_channels
    from dlbox.tasks.visualize.config import ChannelsConfig

    rows = []
    for data, run in runs.items():
        for layer in ("features.stage1.conv2", "features.stage2.conv2", "features.stage3.conv2"):
            opt = OptimizeConfig(steps=steps, lr=0.05, progress=False, jitter=0 if data == "digits" else 2, tv=0.0 if data == "digits" else 0.05)
            cfg = ChannelsConfig(model=str(run), layer=layer, channels="0-15", out=str(out / f"channels-{data}-{layer.split('.')[1]}"), optimize=opt)
            m = json.loads((run_channels(cfg) / "metrics.json").read_text())
            row = {"data": data, "layer": layer, "beat": round(m["fraction_beating_val"] * 16), "of": 16, "val_images": m["val_images"],
                   "mean_reached": m["mean_reached"], "mean_val_max": sum(u["val_max"] for u in m["units"]) / 16, "seconds": m["seconds"]}
            print(f"visualize {data} {layer}: {row['beat']}/16 channels beat all {row['val_images']} validation images "
                  f"(mean activation {row['mean_reached']:.3g} vs best-validation mean {row['mean_val_max']:.3g}), {row['seconds']:.1f} s", flush=True)
            rows.append(row)
    return rows


def bench_invert(run: Path, out: Path, steps: int) -> list[dict]:
    from dlbox.optimize_input import OptimizeConfig
    from dlbox.tasks.visualize.config import InvertConfig
    from dlbox.tasks.visualize.invert import run_invert

    layers = ["features.stage1.conv2", "features.stage2.conv2", "features.stage3.conv2"]
    cfg = InvertConfig(image="sample:astronaut", model=str(run), layers=layers, out=str(out / "invert-shapes"),
                       optimize=OptimizeConfig(steps=steps, lr=0.05, log_every=1, progress=False))
    m = json.loads((run_invert(cfg) / "metrics.json").read_text())
    rows = []
    checkpoints = [c for c in (0, 10, 30, 100, 300, 1000) if c <= steps]
    for layer in m["layers"]:
        curve = {c["step"]: c["feature_error"] for c in layer["curve"]}
        row = {"layer": layer["layer"], **{f"iter_{c}": curve[c] for c in checkpoints}, "pixel_rmse": layer["pixel_rmse"]}
        print("invert " + layer["layer"] + ": " + ", ".join(f"{c} it {curve[c]:.3f}" for c in checkpoints) + f"; pixel RMSE {layer['pixel_rmse']:.3f}", flush=True)
        rows.append(row)
    return rows


def bench_dream(run: Path, out: Path, steps: int) -> list[dict]:
    from dlbox.dream.deepdream import DreamConfig, dream_optimize_defaults
    from dlbox.tasks.dream.config import DreamRunConfig
    from dlbox.tasks.dream.run import run_dream

    cases = [
        ("sample:coffee", 200, "layer", {}, None),
        ("sample:astronaut", 123, "layer", {"layers": ["features.stage2", "features.stage3"]}, None),
        ("sample:chelsea", 77, "class", {"class_": "circle"}, None),
        ("sample:rocket", 150, "channel", {"layers": ["features.stage3.conv2"], "channel": 5}, None),
        ("sample:moon", 150, "layer", {"layers": ["features.stage2"]}, "sample:brick"),
        ("sample:coins", 13, "layer", {}, None),
    ]
    rows = []
    for i, (image, size, target, kw, guide) in enumerate(cases):
        opt = dream_optimize_defaults()
        opt.steps, opt.progress = steps, False
        cfg = DreamRunConfig(image=image, model=str(run), size=size, guide=guide, out=str(out / f"dream-{i}"),
                             dream=DreamConfig(target=target, octaves=4, octave_scale=1.4, optimize=opt, **kw))
        m = json.loads((run_dream(cfg) / "metrics.json").read_text())
        row = {"image": image, "target": target + (" + guide" if guide else ""), "input": m["input_size"], "output": m["output_size"],
               "octaves": len(m["octave_sizes"]), "before": m["objective_before"], "after": m["objective_after"], "seconds": m["seconds"]}
        print(f"dream {image} {row['target']}: {row['input']} -> {row['output']}, {row['octaves']} octaves, objective "
              f"{row['before']:.3g} -> {row['after']:.3g}, {row['seconds']:.1f} s", flush=True)
        rows.append(row)
    return rows


def bench_gatys(out: Path, steps: int, sizes: list[int]) -> list[dict]:
    from dlbox.optimize_input import OptimizeConfig
    from dlbox.style.gatys import GatysConfig
    from dlbox.tasks.style.transfer import TransferConfig, run_transfer

    rows = []
    for size in sizes:
        for optimizer, lr in (("lbfgs", 1.0), ("adam", 0.02)):
            if size > min(sizes) and optimizer == "adam":
                continue
            cfg = TransferConfig(content="sample:astronaut", style="sample:chelsea", model="vgg19", weights="random", size=size,
                                 out=str(out / f"gatys-{size}-{optimizer}"),
                                 gatys=GatysConfig(optimize=OptimizeConfig(steps=steps, optimizer=optimizer, lr=lr, log_every=10, progress=False)))
            m = json.loads((run_transfer(cfg) / "metrics.json").read_text())
            row = {"size": size, "optimizer": optimizer, "steps": m["steps"], "style_before": m["before"]["style"], "style_after": m["after"]["style"],
                   "style_reduction": m["style_reduction"], "content_after": m["after"]["content"], "content_noise": m["noise_reference"]["content"],
                   "seconds": m["seconds"]}
            print(f"gatys {size}px {optimizer}: style loss /{row['style_reduction']:.1f}, content loss {row['content_after']:.3g} "
                  f"(noise image {row['content_noise']:.3g}), {m['steps']} steps in {row['seconds']:.0f} s", flush=True)
            rows.append(row)
    return rows


def bench_perceptual(out: Path, max_steps: int, size: int, gatys_rows: list[dict]) -> dict:
    from dlbox.config import FabricConfig
    from dlbox.tasks.style.apply import load_style_network, stylize_images
    from dlbox.config import DataConfig
    from dlbox.tasks.style.config import StyleOptions, StyleTrainConfig
    from dlbox.tasks.style.train import seconds_per_image, train as train_style

    cfg = StyleTrainConfig(style=StyleOptions(image="sample:chelsea", loss_model="vgg16", weights="random"), data=DataConfig(name="samples", image_size=size),
                           out=str(out / "perceptual"), fabric=FabricConfig(accelerator="cpu"))
    cfg.train.epochs, cfg.train.max_steps, cfg.train.progress = 1000, max_steps, False
    run = train_style(cfg)
    m = json.loads((run / "metrics.json").read_text())
    net = load_style_network(run)
    per_image = seconds_per_image(net, 256, repeats=5)
    from dlbox.data.samples import load_image

    stylize_images(net, load_image("sample:astronaut", 3, size=(256, 256)))  # a real 256x256 image, for the record
    gatys256 = next((r for r in gatys_rows if r["size"] == 256 and r["optimizer"] == "lbfgs"), None)
    row = {"steps": m["steps"], "train_s": m["train_time_s"], "val_style_first": m["history"][0]["val_style"], "val_style_last": m["val_style"],
           "val_content_first": m["history"][0]["val_content"], "val_content_last": m["val_content"], "seconds_per_256": per_image,
           "gatys_256_seconds": gatys256["seconds"] if gatys256 else None,
           "speedup": gatys256["seconds"] / per_image if gatys256 else None}
    print(f"perceptual: {row['steps']} steps in {row['train_s']:.0f} s; val style {row['val_style_first']:.3g} -> {row['val_style_last']:.3g}; "
          f"256x256 in {per_image * 1000:.0f} ms" + (f"; {row['speedup']:.0f}x faster than Gatys at 256 ({row['gatys_256_seconds']:.0f} s)" if gatys256 else ""), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/input_optimisation"))
    parser.add_argument("--digits-run", type=Path)
    parser.add_argument("--shapes-run", type=Path)
    parser.add_argument("--ascent-steps", type=int, default=200)
    parser.add_argument("--invert-steps", type=int, default=300)
    parser.add_argument("--dream-steps", type=int, default=10)
    parser.add_argument("--gatys-steps", type=int, default=100)
    parser.add_argument("--gatys-sizes", type=int, nargs="*", default=[128, 256])
    parser.add_argument("--perceptual-steps", type=int, default=300)
    parser.add_argument("--perceptual-size", type=int, default=64)
    args = parser.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out / stamp
    out.mkdir(parents=True)
    summary: dict = {"out": str(out)}
    need = set(args.only)
    runs = {}
    if need & {"visualize", "invert", "dream"}:
        runs["digits"] = args.digits_run or train_classifier("digits", out / "digits-cnn", 5, [32, 64, 128])
        runs["shapes"] = args.shapes_run or train_classifier("shapes", out / "shapes-cnn", 4, [16, 32, 64])
    if "visualize" in need:
        summary["visualize"] = bench_visualize(runs, out, args.ascent_steps)
    if "invert" in need:
        summary["invert"] = bench_invert(runs["shapes"], out, args.invert_steps)
    if "dream" in need:
        summary["dream"] = bench_dream(runs["shapes"], out, args.dream_steps)
    if "gatys" in need:
        summary["gatys"] = bench_gatys(out, args.gatys_steps, args.gatys_sizes)
    if "perceptual" in need:
        summary["perceptual"] = bench_perceptual(out, args.perceptual_steps, args.perceptual_size, summary.get("gatys", []))
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"summary: {out / 'summary.json'}")


if __name__ == "__main__":
    main()
