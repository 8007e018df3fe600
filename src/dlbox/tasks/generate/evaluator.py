"""The classifier that judges generated images: a dlbox classify run on the same data.

Sample quality is measured in the feature space of a classifier trained on the *training split* of the
dataset (:mod:`dlbox.generative.frechet`, :mod:`dlbox.generative.classifier_scores`), so the held-out test
images it is compared with were never seen by it or by the generator.

Choice: ``generate.evaluator = None`` (the default) trains a small CNN the first time a dataset is used
and caches it as an ordinary classify run under ``runs/generate-evaluators/<dataset>-<hash>/`` (the hash
covers everything that decides the images and the split). Every later run on the same data reuses it, so
Frechet distances of different runs share one yardstick, and a first run costs seconds more (digits: about
10 s). ``generate.evaluator = RUN`` uses a classify run of your own instead; it must take the same images
and name the same classes. Training it never changes the generative run's random numbers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn as nn

from dlbox.config import DataConfig, ModelConfig, TrainConfig
from dlbox.data import DataBundle
from dlbox.engine.rundir import RUNS_ROOT, is_complete
from dlbox.tasks.generate.config import GenerateConfig

CACHE = "generate-evaluators"  # under the runs root
EVALUATOR_MODEL = ModelConfig(name="cnn", kwargs={"channels": [16, 32, 64]})  # 64 features: few enough for 1,000 samples
EVALUATOR_EPOCHS = 10
_SPLIT_FIELDS = ("name", "image_size", "val_fraction", "test_fraction", "split_seed", "on_bad_image", "num_samples", "shapes", "grayscale")


def evaluator_dir(data: DataConfig, root: str | Path | None = None) -> Path:
    """Where the cached evaluator of ``data``'s images and split lives: ``runs/generate-evaluators/<dataset>-<hash>``."""
    fields = {k: getattr(data, k) for k in _SPLIT_FIELDS}
    if data.name.startswith("folder:"):
        fields["name"] = "folder:" + str(Path(data.name[len("folder:"):]).resolve())
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(data.name.split(":", 1)[-1]).name or data.name).strip("-") or "data"
    return Path(root if root is not None else RUNS_ROOT) / CACHE / f"{slug}-{digest}"


def load_evaluator(cfg: GenerateConfig, bundle: DataBundle, device: torch.device | str = "cpu") -> tuple[nn.Module, Path]:
    """The evaluator classifier of ``cfg`` in eval mode on ``device``, and its run directory.

    Neither training nor loading it (building a model draws initial weights) uses the caller's random numbers.
    """
    from dlbox.model_io import load_model

    run = cfg.generate.evaluator
    with kept_rng():
        if run is None:
            run = evaluator_dir(cfg.data)
            if not is_complete(run):
                train_evaluator(cfg.data, run, cfg.fabric.accelerator)
        model = load_model(run, device)
    check_evaluator(model, bundle, str(run))
    return model, Path(run)


def check_evaluator(model: nn.Module, bundle: DataBundle, run: str) -> None:
    """The evaluator must take the data's images, name its classes, and have features (a last ``nn.Linear``)."""
    from dlbox.generative.frechet import ClassifierFeatures

    meta = getattr(model, "dlbox_meta", {})
    shape = meta.get("input", {})
    want = {"channels": bundle.in_channels, "size": list(bundle.image_size)}
    if shape != want:
        raise ValueError(f"--evaluator {run} takes images {shape or 'of unknown shape'} but this dataset's are {want}; "
                         "use a classify run on the same data and image size (or leave --evaluator out to train one)")
    if meta.get("class_names") != bundle.class_names:
        raise ValueError(f"--evaluator {run} names the classes {meta.get('class_names')} but this dataset has {bundle.class_names}")
    try:
        ClassifierFeatures(model)
    except ValueError as exc:
        raise ValueError(f"--evaluator {run}: {exc}") from None


def train_evaluator(data: DataConfig, out: Path, accelerator: str = "auto") -> Path:
    """Train (or finish training) the cached evaluator of ``data`` into ``out``."""
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.tasks.classify.train import train

    own = dataclasses.replace(data, train_per_class=None, augment=False)
    cfg = ClassifyConfig(
        out=str(out), data=own, model=dataclasses.replace(EVALUATOR_MODEL, kwargs=dict(EVALUATOR_MODEL.kwargs)),
        train=TrainConfig(epochs=EVALUATOR_EPOCHS, progress=False),
    )
    cfg.fabric.accelerator = accelerator
    resume = out if (out / "config.yaml").is_file() else None  # a first attempt that was killed
    return train(cfg, resume=resume)


@contextlib.contextmanager
def kept_rng() -> Iterator[None]:
    """Restore Python's, NumPy's and torch's (CPU and CUDA) random states on exit."""
    import random

    import numpy as np

    state = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.set_rng_state(state[2])
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
