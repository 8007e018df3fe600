"""The catalog: every format is known, every section is one of the notes', sections follow the model/kind/study."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlbox.report import catalog
from dlbox.report.catalog import CATALOG, FORMATS, section_for, study_of

NOTES = Path("/work/shared/course/deep-learning-notes.txt")
SECTIONS = sorted({v for k, v in vars(catalog).items() if k.isupper() and isinstance(v, str) and re.match(r"\d", v)})


def test_every_metric_has_a_known_format_and_each_task_lists_a_key_once():
    for task, spec in CATALOG.items():
        keys = [m.key for m in spec.metrics]
        assert len(keys) == len(set(keys)), task
        assert all(m.fmt in FORMATS for m in spec.metrics), task
        assert spec.section is None or spec.section in SECTIONS, task


@pytest.mark.skipif(not NOTES.is_file(), reason=f"the course notes are not at {NOTES}")
def test_every_section_is_a_heading_of_the_notes():
    headings = {line.split("\t")[0].strip() for line in NOTES.read_text().splitlines()}
    missing = [s for s in SECTIONS if s not in headings]
    assert not missing, missing


@pytest.mark.parametrize(("model", "section"), [("fcn32s", "3.11.1 Convolutionalization"),
                                                ("fcn8s", "3.11.1 Convolutionalization"), ("unet", "3.11.2 U-net"),
                                                ("other", "3.11 Segmentation")])
def test_segmentation_section_follows_the_model(model, section):
    assert section_for("segment", {"model": {"name": model}}, {}) == section


@pytest.mark.parametrize(("kind", "section"), [("vae", "4.1 Variational autoencoder (VAE)"),
                                               ("gan", "4.2 Generative adversarial network (GAN)"),
                                               ("flow", "4.3 Normalizing flows"), ("diffusion", "4.4 Diffusion models")])
def test_generative_section_follows_the_kind(kind, section):
    assert section_for("generate", {}, {"kind": kind}) == section
    assert section_for("generate-eval", {}, {"kind": kind}) == section


def test_classify_section_follows_the_model_and_pretrained_weights():
    assert section_for("classify", {"model": {"name": "resnet18"}}, {}) == "3.5 Residual learning"
    assert section_for("classify", {"model": {"name": "xception"}}, {}) == "3.4 Inception hypothesis"
    assert section_for("classify", {"model": {"name": "cnn"}}, {}) == "3.1 Convolutions"
    assert section_for("classify", {"model": {"name": "cnn"}, "classify": {"freeze": "features"}}, {}) == \
        "3.6 Transfer learning and fine-tuning"


def test_fundamentals_study_from_name_or_keys():
    assert study_of({}, "perceptron-002") == "perceptron"
    assert study_of({"gate": "xor"}) == "perceptron"
    assert study_of({"sigmoid_first_over_last": 1e-4}) == "vanishing"
    assert section_for("fundamentals", {}, {"final_loss": {}}) == "2.1 Gradient descent"
    assert section_for("fundamentals", {}, {}) is None
    assert section_for("no-such-task", {}, {}) is None
