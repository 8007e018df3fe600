"""Acceptance runs for semantic segmentation (issue #5, notes 3.11) on ``shapes`` scenes.

    python benchmarks/segmentation.py                      # all parts
    python benchmarks/segmentation.py --parts unet --budget 420

Parts:
- ``unet``: U-Net (padding same) trained from scratch; target mIoU >= 0.90.
- ``classifier``: a shapes classifier (5-stage cnn, dense head) to start the FCNs from.
- ``fcn8s``: FCN-8s initialised from that classifier; target mIoU >= 0.80.
- ``fcn32s``: FCN-32s from the same classifier, same epochs and time budget (do the skips help?).
- ``heatmap``: the classifier, convolutionalized, over 128x128 canvases of four scenes.

Each run goes through the public API (``dlbox.tasks.segment.train.train`` with a
``SegmentConfig``; ``dlbox.tasks.classify.train.train`` for the classifier), so
it is what ``dlbox segment train`` does. The number of epochs is fitted to the
wall-clock budget from a short measured calibration (the CPU is shared), and
``train.max_time`` is a hard stop. Figures go to stdout (a Markdown table) and
to ``benchmarks/out/segmentation.json`` (parts run later are merged in).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
KINDS = ["circle", "square", "triangle"]
SIZE = 64
BACKBONE = {"channels": [16, 32, 64, 64, 128], "head_pool": "flatten", "hidden": [128]}  # strides 8/16/32 at 64 px


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _steps_per_s(model_name: str, kwargs: dict, batch: int, classes: int, channels_last: bool, steps: int = 3) -> float:
    """Measured optimizer steps per second of this model on this (shared) machine right now."""
    from dlbox.models import create_model
    from dlbox.segmentation.loss import segmentation_loss

    model = create_model(model_name, in_channels=3, num_classes=classes, image_size=SIZE, **kwargs)
    opt = torch.optim.Adam(model.parameters())
    x, y = torch.rand(batch, 3, SIZE, SIZE), torch.randint(0, classes, (batch, SIZE, SIZE))
    if channels_last:
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    for i in range(steps + 1):
        if i == 1:
            t0 = time.monotonic()
        loss = segmentation_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps / (time.monotonic() - t0)


def _epochs_for(budget: float, steps_per_s: float, steps_per_epoch: int, share: float = 0.85) -> int:
    """Epochs that fit ``share`` of the budget (the rest: validation, test, saving)."""
    return max(1, int(share * budget * steps_per_s / steps_per_epoch))


def _segment(name: str, model: str, model_kwargs: dict, budget: float, root: Path, args, init: str | None = None, epochs: int | None = None) -> dict:
    from dlbox.config import resolve
    from dlbox.tasks.segment.config import SegmentConfig
    from dlbox.tasks.segment.train import train

    n_train = int(args.samples * 0.7)
    steps_per_epoch = -(-n_train // args.batch)
    if epochs is None:
        kw = model_kwargs if not init else {"backbone": {"name": "cnn", "kwargs": BACKBONE}}
        rate = _steps_per_s(model, kw, args.batch, len(KINDS) + 1, args.channels_last)
        epochs = _epochs_for(budget, rate, steps_per_epoch)
        print(f"[{name}] calibration: {rate:.2f} steps/s -> {epochs} epochs for a {budget:.0f} s budget", flush=True)
    cfg = SegmentConfig()
    cfg = resolve(
        cfg,
        overrides=[
            f"out={root / name}",
            f"data.num_samples={args.samples}", f"data.image_size={SIZE}", "data.augment=false",
            f"model.name={model}", f"model.kwargs={json.dumps(model_kwargs)}",
            f"train.epochs={epochs}", f"train.max_time={budget}", f"train.batch_size={args.batch}",
            f"train.progress={str(args.progress).lower()}", "train.log_every=10",
            f"optim.lr={args.lr}", "optim.schedule=onecycle", f"fabric.channels_last={str(args.channels_last).lower()}",
            *([f"init={init}"] if init else []),
        ],
    )
    load0, t0 = _load(), time.monotonic()
    run = train(cfg)
    wall = time.monotonic() - t0
    m = json.loads((run / "metrics.json").read_text())
    return {
        "run": str(run), "model": model, "model_kwargs": model_kwargs, "init": init,
        "test_miou": m["test_miou"], "test_pixel_acc": m["test_pixel_acc"], "per_class_iou": m["per_class_iou"],
        "epochs": m["epochs"], "planned_epochs": epochs, "steps": m["steps"], "stopped_by": m["stopped_by"],
        "train_time_s": m["train_time_s"], "wall_s": round(wall, 1), "images_per_s": m["images_per_s"],
        "budget_s": budget, "load_avg_start": load0, "load_avg_end": _load(),
    }


def _classifier(root: Path, args) -> dict:
    from dlbox.config import resolve
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.tasks.classify.train import train

    cfg = resolve(
        ClassifyConfig(),
        overrides=[
            f"out={root / 'classifier'}", "data.name=shapes", f"data.image_size={SIZE}", f"data.num_samples={args.samples}",
            "model.name=cnn", f"model.kwargs={json.dumps(BACKBONE)}",
            f"train.epochs={args.clf_epochs}", f"train.max_time={args.clf_budget}", f"train.batch_size={args.batch}",
            f"train.progress={str(args.progress).lower()}", "optim.lr=0.003",
        ],
    )
    load0, t0 = _load(), time.monotonic()
    run = train(cfg)
    wall = time.monotonic() - t0
    m = json.loads((run / "metrics.json").read_text())
    return {"run": str(run), "test_acc": m["test_acc"], "epochs": m["epochs"], "train_time_s": m["train_time_s"],
            "wall_s": round(wall, 1), "stopped_by": m["stopped_by"], "load_avg_start": load0, "load_avg_end": _load()}


def _heatmap(root: Path, classifier_run: str, canvases: int = 25) -> dict:
    """Convolutionalized classifier over 128x128 canvases of four 64x64 classification scenes (2x2).

    The heatmap cells of the four quadrant windows should name each quadrant's shape; the
    cell at a quadrant equals the classifier on that scene up to the padded convolutions'
    borders, which now see the neighbouring scenes instead of zeros.
    """
    from dlbox.data.shapes import generate_shapes
    from dlbox.model_io import load_model
    from dlbox.tasks.segment.heatmap import class_heatmaps, heatmap_image
    from dlbox.plots import _plt

    clf = load_model(classifier_run)
    scenes = generate_shapes(4 * canvases, seed=999, size=SIZE, kinds=KINDS)
    correct, agree, direct_correct, total = 0, 0, 0, 0
    t0 = time.monotonic()
    for c in range(canvases):
        imgs, labels = scenes["image"][4 * c : 4 * c + 4], scenes["label"][4 * c : 4 * c + 4]
        canvas = torch.cat([torch.cat([imgs[0], imgs[1]], 2), torch.cat([imgs[2], imgs[3]], 2)], 1)  # (3, 128, 128)
        probs, stride = class_heatmaps(clf, canvas)
        step = SIZE // stride
        with torch.no_grad():
            direct = clf(imgs).argmax(1)
        for q, (i, j) in enumerate([(0, 0), (0, step), (step, 0), (step, step)]):
            pred = int(probs[:, i, j].argmax())
            correct += pred == int(labels[q])
            agree += pred == int(direct[q])
            direct_correct += int(direct[q]) == int(labels[q])
            total += 1
        if c == 0:
            root.mkdir(parents=True, exist_ok=True)
            _plt().imsave(root / "heatmap_canvas.png", canvas.permute(1, 2, 0).numpy())
            out_dir, _ = heatmap_image(classifier_run, root / "heatmap_canvas.png", out=root / "heatmap")
    return {"canvases": canvases, "quadrant_accuracy": correct / total, "agrees_with_classifier": agree / total,
            "classifier_accuracy": direct_correct / total,
            "heatmap_size": list(probs.shape[1:]), "stride": stride, "example": str(out_dir), "wall_s": round(time.monotonic() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", default="unet,classifier,fcn8s,fcn32s,heatmap")
    p.add_argument("--budget", type=float, default=450.0, help="seconds of training per segmentation run (hard stop)")
    p.add_argument("--samples", type=int, default=1500, help="shapes scenes (70%% train, 10%% val, 20%% test)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--unet-width", type=int, default=8)
    p.add_argument("--unet-depth", type=int, default=3)
    p.add_argument("--clf-epochs", type=int, default=8)
    p.add_argument("--clf-budget", type=float, default=240.0)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True, help="channels-last memory format (faster convolutions on CPU)")
    p.add_argument("--json", type=Path, default=OUT / "segmentation.json")
    args = p.parse_args(argv)
    parts = [s.strip() for s in args.parts.split(",") if s.strip()]
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    root = OUT / "runs" / time.strftime("segmentation-%Y%m%d-%H%M%S")
    results = json.loads(args.json.read_text()) if args.json.is_file() else {}
    results["machine"] = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__}

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")

    if "unet" in parts:
        kw = {"depth": args.unet_depth, "width": args.unet_width, "padding": "same"}
        results["unet"] = _segment("unet", "unet", kw, args.budget, root, args)
        save()
    if "classifier" in parts or (({"fcn8s", "fcn32s", "heatmap"} & set(parts)) and "classifier" not in results):
        results["classifier"] = _classifier(root, args)
        save()
    epochs = None
    for variant in ("fcn8s", "fcn32s"):  # same classifier, same epochs, same budget
        if variant in parts:
            if epochs is None and variant == "fcn32s" and "fcn8s" in results:
                epochs = results["fcn8s"]["planned_epochs"]  # the comparison run's budget
            r = _segment(variant, variant, {}, args.budget, root, args, init=results["classifier"]["run"], epochs=epochs)
            epochs = r["planned_epochs"]
            results[variant] = r
            save()
    if "heatmap" in parts:
        results["heatmap"] = _heatmap(root, results["classifier"]["run"])
        save()
    _print(results)
    print(f"\nwrote {args.json}")
    return 0


def _print(results: dict) -> None:
    print("\n| run | test mIoU | pixel acc | epochs | train s | wall s | img/s | load avg (start/end) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for key in ("unet", "fcn8s", "fcn32s"):
        r = results.get(key)
        if r:
            print(f"| {key} | {r['test_miou']:.4f} | {r['test_pixel_acc']:.4f} | {r['epochs']} | {r['train_time_s']:.0f} | "
                  f"{r['wall_s']:.0f} | {r['images_per_s']:.0f} | {r['load_avg_start']}/{r['load_avg_end']} |")
    c = results.get("classifier")
    if c:
        print(f"\nshapes classifier: test accuracy {c['test_acc']:.4f}, {c['epochs']} epochs, {c['wall_s']:.0f} s wall")
    h = results.get("heatmap")
    if h:
        print(f"convolutionalized classifier on {h['canvases']} 128x128 canvases of 4 scenes: {h['heatmap_size']} heatmaps, "
              f"quadrant windows correct {h['quadrant_accuracy']:.3f}, agree with the classifier {h['agrees_with_classifier']:.3f} "
              f"(the classifier on the scenes: {h.get('classifier_accuracy', float('nan')):.3f})")


if __name__ == "__main__":
    sys.exit(main())
