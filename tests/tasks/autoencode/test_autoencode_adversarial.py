"""Adversarial examples of normal images against a saved classifier, through the attack pipeline."""

from __future__ import annotations

import pytest
import torch

from dlbox.tasks.autoencode.adversarial import adversarial_examples, classifier_info
from dlbox.tasks.autoencode.config import AttackOptions


def test_classifier_info_reads_the_run_and_checks_the_options(classifier_run, tmp_path):
    shape, names = classifier_info(AttackOptions(run=str(classifier_run)))
    assert shape == (1, 8, 8) and names == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match="fgsm, ifgsm, pgd, evolution"):
        classifier_info(AttackOptions(run=str(classifier_run), method="deepfool"))
    with pytest.raises(ValueError, match="its classes are"):
        classifier_info(AttackOptions(run=str(classifier_run), target="cat"))
    with pytest.raises(ValueError, match="does not exist"):
        classifier_info(AttackOptions(run=str(tmp_path / "missing")))


def test_fgsm_examples_stay_in_the_ball_and_success_means_a_changed_class(classifier_run):
    from dlbox.model_io import load_model

    g = torch.Generator().manual_seed(0)
    images, labels = torch.rand(40, 1, 8, 8, generator=g), torch.randint(0, 10, (40,), generator=g)
    options = AttackOptions(run=str(classifier_run), method="fgsm", eps=0.2, target="none")
    adv, ok, info = adversarial_examples(options, images, labels)
    assert adv.shape == images.shape and adv.min() >= 0 and adv.max() <= 1
    assert float((adv - images).abs().max()) <= 0.2 + 1e-6
    clf = load_model(classifier_run)
    with torch.no_grad():
        clean, after = clf(images).argmax(1), clf(adv).argmax(1)
    # a success: the classifier was right on the clean image and is wrong on the adversarial one
    assert torch.equal(ok, (clean == labels) & (after != labels))
    assert info["method"] == "fgsm" and info["n_success"] == int(ok.sum())
    with pytest.raises(ValueError, match=r"takes \(1, 8, 8\) images"):
        adversarial_examples(options, torch.rand(2, 3, 8, 8), labels[:2])
