"""Object detection benchmark (issue 9, notes 3.12): dlbox's YOLOv3 beside ultralytics' YOLOv8n at equal wall time.

    python benchmarks/detection.py                 # 10 minutes of training per model (about an hour in all)
    python benchmarks/detection.py --minutes 0.2   # a smoke run of every part

One run: 3,000 train / 300 val / 300 test shapes scenes (128x128, 1-4 objects of 3 kinds) are exported
once as YOLO files (``dlbox data export`` does the same), and every model trains on those files for the
same wall-clock time:

- ``dlbox``: ``dlbox detect train --data yolo:DATA.yaml`` with the defaults (YOLOv3, width 1/8, depth 1/3,
  FPN, BCE + CIoU loss with IoU objectness targets, multi-anchor assignment, lr 8e-3, bf16 autocast where the
  CPU runs it natively); the epochs are fitted to the budget from a measured
  calibration so the one-cycle schedule ends on time, and ``train.max_time`` is a hard stop;
- ``yolov8n``: when ``ultralytics`` is installed (``pip install -e ".[bench]"``), YOLOv8n built from its
  yaml (no pretrained weights), the same images, batch 32, ``time=`` the same budget;
- ``--loss paper``: the notes' squared-error loss, otherwise the dlbox default;
- ``--multiscale hierarchy | single | pyramid``: the other approaches of notes 3.12.2 (``fpn`` is the default).

Every model is scored by the same code on the same test tensors: mAP@0.5 and mAP@0.5:0.95
(torchmetrics, COCO protocol) and inference time per image at batch 1 and 32 (forward, decode, NMS).
The table is printed and appended to ``benchmarks/RESULTS.md`` with the command and the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

# No OMP_WAIT_POLICY here (the CLI sets PASSIVE for shared machines): on an idle machine libgomp's default short spin is
# faster for both models (RESULTS.md, "OpenMP wait policy"). Run the benchmark with nothing else on the machine.

import torch  # noqa: E402

THREADS = torch.get_num_threads()  # before ultralytics lowers it (it sets cores - 1 for CPU training)

HERE = Path(__file__).resolve().parent
SIZES = {"train": 3000, "val": 300, "test": 300}
IMAGE_SIZE = 128
OBJECTS = (1, 4)
CONF, IOU, MAX_DET, EVAL_CONF = 0.25, 0.45, 100, 0.01


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def export(root: Path) -> Path:
    """The scenes as YOLO files (once per output directory); returns the dataset YAML."""
    from dlbox.config import DataConfig
    from dlbox.tasks.detect.export import export_shapes

    yaml = root / "data" / "data.yaml"
    if yaml.is_file():
        return yaml
    total = sum(SIZES.values())
    data = DataConfig(name="shapes", image_size=IMAGE_SIZE, num_samples=total, val_fraction=SIZES["val"] / total, test_fraction=SIZES["test"] / total)
    result = export_shapes("yolo", root / "data", data, *OBJECTS)
    assert result["sizes"] == SIZES, result["sizes"]
    return yaml


def _calibrate(cfg, bundle, steps: int = 3) -> float:
    """Optimizer steps per second of this configuration on this machine now (augmentation, loss and all;
    bf16 autocast when the run's precision, ``auto`` made concrete, is ``bf16-mixed``)."""
    from dlbox.engine.fabric_setup import fast_path
    from dlbox.tasks.detect.augment import augment_detection
    from dlbox.tasks.detect.model_init import build_model
    from dlbox.tasks.detect.step import configured_loss

    model = build_model(cfg, bundle).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    bs = cfg.train.batch_size
    x, b, lab = bundle.train["image"][:bs], bundle.train["boxes"][:bs], bundle.train["box_labels"][:bs]
    fabric = fast_path(cfg.fabric, IMAGE_SIZE)
    bf16 = fabric.precision == "bf16-mixed"
    if fabric.channels_last:
        model = model.to(memory_format=torch.channels_last)
    for i in range(steps + 1):
        if i == 1:
            t0 = time.monotonic()
        xa, ba, la = augment_detection(x, b, lab)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(xa.contiguous(memory_format=torch.channels_last))
        loss = configured_loss(model, out, ba, la, cfg.detect)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps / (time.monotonic() - t0)


def run_dlbox(label: str, yaml: Path, out: Path, budget_s: float, **detect) -> dict:
    """``dlbox detect train`` (through its API) on the exported files for ``budget_s`` seconds of training."""
    from dlbox.tasks.detect.config import DetectConfig
    from dlbox.tasks.detect.data import load_detection
    from dlbox.tasks.detect.train import train

    name = "-".join(["dlbox", *(f"{k}-{v}" for k, v in detect.items())]) if detect else "dlbox-default"
    cfg = DetectConfig(out=str(out / name))
    cfg.data.name = f"yolo:{yaml}"
    cfg.train.progress = False
    for key, value in detect.items():
        setattr(cfg.detect, key, value)
    bundle = load_detection(cfg.data)
    steps_per_epoch = -(-len(bundle.train["image"]) // cfg.train.batch_size)
    rate = _calibrate(cfg, bundle)
    cfg.train.epochs = max(1, int(0.9 * budget_s * rate / steps_per_epoch))
    cfg.train.max_time = budget_s
    t0 = time.monotonic()
    run = train(cfg)
    wall = time.monotonic() - t0
    m = json.loads((run / "metrics.json").read_text())
    return {
        "model": label, "map50": m["test_map50"], "map50_95": m["test_map50_95"],
        "ms_b1": m["ms_per_image"].get("batch_1"), "ms_b32": m["ms_per_image"].get("batch_32"),
        "epochs": m["epochs"], "train_s": m["train_time_s"], "wall_s": round(wall, 1), "run": str(run),
        "params": _params(run), "threads": str(torch.get_num_threads()),
    }


def _params(run: Path) -> int:
    from dlbox.model_io import load_model

    return sum(p.numel() for p in load_model(run).parameters())


def run_yolov8n(yaml: Path, out: Path, budget_s: float) -> dict | None:
    """YOLOv8n from its yaml (random init) trained by ultralytics for ``budget_s`` seconds; None without ultralytics."""
    try:
        from ultralytics import YOLO
    except ImportError:
        return None
    from dlbox.tasks.detect.data import load_detection
    from dlbox.config import DataConfig
    from dlbox.detection import Detections

    import yaml as pyyaml

    spec = pyyaml.safe_load(yaml.read_text())
    spec["path"] = str(yaml.parent.resolve())  # ultralytics reads a relative path against its own datasets folder
    absolute = yaml.parent / "ultralytics.yaml"
    absolute.write_text(pyyaml.safe_dump(spec))
    model = YOLO("yolov8n.yaml")  # the architecture only: no pretrained weights are read
    t0 = time.monotonic()
    # ultralytics sets torch to min(8, cores - 1) threads for CPU training (1 here): its default, what a user gets
    model.train(data=str(absolute), imgsz=IMAGE_SIZE, batch=32, epochs=1000, time=budget_s / 3600, device="cpu", workers=0,
                pretrained=False, amp=False, plots=False, project=str(out), name="yolov8n", exist_ok=True, seed=0, verbose=False)
    wall = time.monotonic() - t0
    yolo_threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)  # the models after this one train with the process's own thread count again
    test = load_detection(DataConfig(name=f"yolo:{yaml}", image_size=IMAGE_SIZE)).test
    images = test["image"]

    def predict(x: torch.Tensor, conf: float) -> list:
        return model.predict(x, imgsz=IMAGE_SIZE, conf=conf, iou=IOU, max_det=MAX_DET, device="cpu", verbose=False)

    results = []
    for i in range(0, len(images), 32):
        results += predict(images[i : i + 32], EVAL_CONF)
    k = max(1, max(len(r.boxes) for r in results))
    boxes, scores, labels = torch.zeros(len(results), k, 4), torch.zeros(len(results), k), torch.full((len(results), k), -1)
    for i, r in enumerate(results):
        n = len(r.boxes)
        boxes[i, :n], scores[i, :n], labels[i, :n] = r.boxes.xyxy.cpu(), r.boxes.conf.cpu(), r.boxes.cls.cpu().long()
    dets = Detections(boxes, scores, labels, torch.tensor([len(r.boxes) for r in results]))
    ap = _score(dets, test)
    ms = {}
    for bs in (1, 32):
        batches = [images[i : i + bs] for i in range(0, 64, bs)][: max(2, 32 // bs)]
        predict(batches[0], CONF)
        times = []
        for x in batches:
            t = time.perf_counter()
            predict(x, CONF)
            times.append((time.perf_counter() - t) * 1000 / len(x))
        ms[bs] = round(float(torch.tensor(times).median()), 3)
    predict_threads = torch.get_num_threads()  # its predict sets the thread count again
    torch.set_num_threads(THREADS)
    return {"model": "yolov8n (ultralytics)", **ap, "ms_b1": ms[1], "ms_b32": ms[32], "epochs": None, "train_s": round(budget_s, 1),
            "wall_s": round(wall, 1), "run": str(out / "yolov8n"), "params": sum(p.numel() for p in model.model.parameters()),
            "threads": f"{yolo_threads} (training), {predict_threads} (inference)"}


def _score(dets, test: dict) -> dict:
    from dlbox.tasks.detect.metrics import mean_ap

    r = mean_ap(dets, test["boxes"], test["box_labels"], ["circle", "square", "triangle"])
    return {"map50": r["map50"], "map50_95": r["map50_95"]}


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores of {cpu}, Python {platform.python_version()}, torch {torch.__version__}, {THREADS} threads unless the table says otherwise, OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset (libgomp default)')}"


def table(rows: list[dict]) -> str:
    lines = ["| model | mAP@0.5 | mAP@0.5:0.95 | ms/image batch 1 | ms/image batch 32 | epochs | training s | parameters | torch threads |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        fmt = lambda v, f: "n/a" if v is None else format(v, f)  # noqa: E731
        lines.append(f"| {r['model']} | {fmt(r['map50'], '.3f')} | {fmt(r['map50_95'], '.3f')} | {fmt(r['ms_b1'], '.1f')} | "
                     f"{fmt(r['ms_b32'], '.2f')} | {fmt(r['epochs'], 'd')} | {fmt(r['train_s'], '.0f')} | {r['params']:,} | {r.get('threads', '')} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0, help="training wall time per model (default: 10)")
    p.add_argument("--out", type=Path, default=HERE / "out" / "detection", help="exported data and runs (default: benchmarks/out/detection)")
    p.add_argument("--parts", nargs="+", default=["dlbox", "yolov8n", "paper", "multiscale"], choices=["dlbox", "yolov8n", "paper", "multiscale"])
    p.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="Markdown file the table is appended to")
    p.add_argument("--no-append", action="store_true", help="print the table only")
    args = p.parse_args()
    budget = args.minutes * 60
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out / stamp
    out.mkdir(parents=True, exist_ok=True)
    load_before = _load()
    t_export = time.monotonic()
    yaml = export(args.out)
    print(f"data: {yaml} ({SIZES}, exported in {time.monotonic() - t_export:.0f} s)", flush=True)
    rows, notes = [], []
    if "dlbox" in args.parts:
        rows.append(run_dlbox("dlbox yolov3 (default: fpn, bce, multi-anchor, IoU objectness)", yaml, out, budget))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    if "yolov8n" in args.parts:
        row = run_yolov8n(yaml, out, budget)
        if row is None:
            notes.append("YOLOv8n skipped: `ultralytics` is not installed (`pip install -e \".[bench]\"`).")
        else:
            rows.append(row)
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    if "paper" in args.parts:
        rows.append(run_dlbox("dlbox yolov3, --loss paper", yaml, out, budget, loss="paper"))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    if "multiscale" in args.parts:
        for approach in ("hierarchy", "single", "pyramid"):
            rows.append(run_dlbox(f"dlbox yolov3, --multiscale {approach}", yaml, out, budget, multiscale=approach))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = "\n".join([
        f"\n## Object detection, {args.minutes:g} min per model ({datetime.date.today().isoformat()})\n",
        f"`python benchmarks/detection.py {' '.join(sys.argv[1:])}`".rstrip() + f" on {_machine()}; load average {load_before} "
        f"before, {_load()} after. Shapes scenes {IMAGE_SIZE}x{IMAGE_SIZE}, {OBJECTS[0]}-{OBJECTS[1]} objects of 3 kinds, "
        f"{SIZES['train']:,} train / {SIZES['val']} val / {SIZES['test']} test, the same YOLO files for every model; "
        "mAP on the test split by torchmetrics (COCO protocol), inference times include decoding and NMS.\n",
        table(rows), *(f"\n{n}" for n in notes), "",
    ])
    print(text, flush=True)
    (out / "results.json").write_text(json.dumps(rows, indent=2))
    if not args.no_append:
        with open(args.results, "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
