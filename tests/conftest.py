"""Generic fixtures shared across the test suite (keep this file small)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets one thread (torch here, OpenMP in the processes tests start), so the
    workers share the cores instead of oversubscribing them."""
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


@pytest.fixture
def image_tree(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a small ImageFolder tree: ``ROOT/CLASS/NNN.EXT`` with random pixels.

    ``image_tree({"cat": 3, "dog": 2}, size=(8, 8), formats=("png", "jpg"), mode="RGB")``
    returns ROOT. Formats alternate across files of a class; pixels are seeded.
    """
    from PIL import Image

    counter = iter(range(10**6))

    def make(
        classes: dict[str, int] | None = None,
        size: tuple[int, int] = (8, 8),
        formats: tuple[str, ...] = ("png", "jpg"),
        mode: str = "RGB",
        seed: int = 0,
    ) -> Path:
        classes = {"a": 3, "b": 3} if classes is None else classes
        root = tmp_path / f"tree{next(counter)}"
        rng = np.random.default_rng(seed)
        channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
        h, w = size
        for name, count in classes.items():
            (root / name).mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
                im = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)  # mode inferred: L/RGB/RGBA
                fmt = formats[i % len(formats)]
                if fmt in ("jpg", "jpeg") and mode == "RGBA":
                    im = im.convert("RGB")
                im.save(root / name / f"{i:03d}.{fmt}")
        return root

    return make


def kill_after_checkpoint(args: list[str], run: Path, epochs: int = 0, timeout: float = 240) -> None:
    """Run ``dlbox ARGS --out RUN`` in a subprocess and SIGKILL it once ``checkpoints/last.ckpt`` holds ``epochs``
    finished epochs (0: as soon as the first checkpoint exists), the way a user's run dies mid-training."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import torch

    proc = subprocess.Popen([sys.executable, "-m", "dlbox.cli.main", *args, "--out", str(run)],
                            env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = run / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + timeout
    try:
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, f"no checkpoint with {epochs} epochs appeared in {timeout} s"
            if last.exists():
                try:
                    if torch.load(last, weights_only=True)["loop"]["epoch"] >= epochs:
                        break
                except Exception:  # noqa: BLE001 - read while being renamed into place
                    pass
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)


def save_digits_classifier(run: Path) -> Path:
    """An untrained small CNN saved like a finished digits classify run (enough to score generated images with)."""
    import torch

    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run.mkdir(parents=True)
    torch.manual_seed(0)
    save_model(run, create_model("cnn", channels=[4, 8], convs_per_stage=1),
               {"task": "classify", "class_names": [str(i) for i in range(10)], "input": {"channels": 1, "size": [8, 8]}})
    (run / "metrics.json").write_text("{}")
    return run


@pytest.fixture(scope="session")
def kill_training() -> Callable[..., None]:
    """:func:`kill_after_checkpoint`, for tests that kill a training run mid-way."""
    return kill_after_checkpoint


@pytest.fixture(scope="module")
def digits_classifier_run(tmp_path_factory) -> Path:
    """:func:`save_digits_classifier` in a temporary directory."""
    return save_digits_classifier(tmp_path_factory.mktemp("evaluator") / "run")


@pytest.fixture(scope="session")
def command_run(tmp_path_factory) -> Callable[[str], Path]:
    """The run directory a command of ``command_table.COMMANDS`` wrote through the real CLI (running it, and the
    runs it needs, on first use; once per session)."""
    from typer.testing import CliRunner

    from command_table import COMMANDS
    from dlbox.cli.main import app

    root = tmp_path_factory.mktemp("commands")
    made: dict[str, Path] = {"evaluator": save_digits_classifier(root / "evaluator")}

    def run(command: str) -> Path:
        if command not in made:
            args = [str(run(a[1:-1])) if a.startswith("{") and a.endswith("}") else a for a in COMMANDS[command][0]]
            out = root / command.replace(" ", "-")
            result = CliRunner().invoke(app, [*args, "--out", str(out)])
            assert result.exit_code == 0, f"dlbox {' '.join(args)}\n{result.output}\n{result.exception!r}"
            made[command] = out
        return made[command]

    return run
