"""Acceptance runs for classification (issue 2): wall time of whole CLI commands and their test accuracy.

    python benchmarks/classify_acceptance.py --repeats 3

Each command runs in a fresh process (imports included), like a user would run it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "digits-cnn": ["dlbox", "classify", "train", "--no-progress"],
    "digits-mlp": ["dlbox", "classify", "train", "--model", "mlp", "--no-progress"],
    "shapes-cnn": ["dlbox", "classify", "train", "--data", "shapes", "--model-arg", "channels=[16,32,64]",
                   "--epochs", "6", "--precision", "bf16-mixed", "--channels-last", "--no-progress"],
    "shapes-default": ["dlbox", "classify", "train", "--data", "shapes", "--no-progress"],
}


def run(cmd: list[str], out: Path) -> tuple[float, dict]:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--out", str(out)], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    return wall, json.loads((out / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=list(COMMANDS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only:
            walls, accs, train_s = [], [], []
            for r in range(args.repeats):
                wall, m = run(COMMANDS[name], Path(tmp) / f"{name}-{r}")
                walls.append(wall)
                accs.append(m["test_acc"])
                train_s.append(m["train_time_s"])
                print(f"{name} run {r}: wall {wall:.1f} s, training {m['train_time_s']:.1f} s, test acc {m['test_acc']:.4f}", flush=True)
            print(
                f"{name}: median wall {statistics.median(walls):.1f} s (max {max(walls):.1f}), "
                f"median training {statistics.median(train_s):.1f} s, test acc min {min(accs):.4f} median {statistics.median(accs):.4f}",
                flush=True,
            )
            print("  command: " + " ".join(COMMANDS[name]), flush=True)


if __name__ == "__main__":
    main()
