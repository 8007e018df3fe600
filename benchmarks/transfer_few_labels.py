"""Transfer learning with few labels (notes 3.6): a backbone trained on other shapes vs training from scratch.

Source task: shapes of kinds diamond/cross/ring, 3,000 scenes. Target task: circle/square/triangle with only
N labelled training images per class (default 20). Compared on the same target test split:
scratch, transfer (frozen features, new head) and fine-tuning (all layers, backbone lr x 0.1).

    python benchmarks/transfer_few_labels.py --per-class 20 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from dlbox.tasks.classify.config import ClassifyConfig
from dlbox.config import DataConfig, FabricConfig, ModelConfig, OptimConfig, TrainConfig  # noqa: E402
from dlbox.tasks.classify.train import train  # noqa: E402

MODEL = ModelConfig(name="cnn", kwargs={"channels": [16, 32, 64]})
FAST = FabricConfig(precision="bf16-mixed", channels_last=True)


def source_run(out: Path) -> Path:
    cfg = ClassifyConfig(
        out=str(out), model=MODEL, fabric=FAST,
        data=DataConfig(name="shapes", shapes=["diamond", "cross", "ring"], num_samples=3000, image_size=32, split_seed=100),
        train=TrainConfig(epochs=6, progress=False),
    )
    return train(cfg)


def target_run(out: Path, per_class: int, seed: int, init: str | None, freeze: str | None, mult: float) -> float:
    cfg = ClassifyConfig(
        out=str(out), model=MODEL, fabric=FAST,
        data=DataConfig(name="shapes", num_samples=1500, image_size=32, train_per_class=per_class, split_seed=seed),
        optim=OptimConfig(lr=3e-3, backbone_lr_mult=mult),
        train=TrainConfig(epochs=30, batch_size=16, progress=False, seed=seed),
    )
    cfg.init, cfg.classify.freeze = init, freeze
    return json.loads((train(cfg) / "metrics.json").read_text())["test_acc"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = source_run(tmp / "source")
        print(f"source (diamond/cross/ring) test acc: {json.loads((src / 'metrics.json').read_text())['test_acc']:.4f}", flush=True)
        table = {"scratch": [], "transfer (frozen)": [], "fine-tune (x0.1)": []}
        for seed in args.seeds:
            table["scratch"].append(target_run(tmp / f"s{seed}", args.per_class, seed, None, None, 1.0))
            table["transfer (frozen)"].append(target_run(tmp / f"t{seed}", args.per_class, seed, str(src), "features", 1.0))
            table["fine-tune (x0.1)"].append(target_run(tmp / f"f{seed}", args.per_class, seed, str(src), None, 0.1))
            print({k: round(v[-1], 4) for k, v in table.items()}, flush=True)
        for name, accs in table.items():
            print(f"{name}: median test acc {statistics.median(accs):.4f} over seeds {args.seeds} ({', '.join(f'{a:.4f}' for a in accs)})")


if __name__ == "__main__":
    main()
