"""Acceptance figures for autoencoders (issue 5, notes 3.10.2-3.10.3) on digits (and optionally shapes).

    python benchmarks/autoencoders.py [--clf DIGITS_CNN_RUN] [--out benchmarks/out/autoencoders] [--seeds 0 1] [--shapes]

- anomaly detection: classes 0-4 normal, 5-9 anomalous; ROC-AUC on held-out test images, and on
  adversarial examples of the digits CNN (``--clf``, trained here when not given) at several budgets;
- denoising at sigma 0.3: PSNR of noisy and denoised held-out images (``dlbox autoencode denoise`` defaults);
- the 2-D manifold map (``dlbox autoencode manifold`` defaults): test PSNR and 5-NN accuracy in the code;
- ``--shapes``: the same anomaly and denoising runs on 32x32 shapes (circle, square normal; triangle anomalous).

Every run is a normal ``dlbox autoencode`` run directory under ``--out``; a summary goes to ``autoencoders.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ADVERSARIAL = [("fgsm", 0.1), ("pgd", 0.1), ("pgd", 0.2), ("pgd", 0.3), ("evolution", 0.2)]


def _cfg(mode: str, out: Path, seed: int = 0, **data):
    from dlbox.tasks.autoencode.config import default_config

    cfg = default_config(mode)
    cfg.out = str(out)
    cfg.train.seed = seed
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    for k, v in data.items():
        setattr(cfg.data, k, v)
    return cfg


def _digits_cnn(out: Path) -> Path:
    """``dlbox classify train``'s default digits CNN (the attacked classifier of item 4)."""
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.tasks.classify.train import train

    cfg = ClassifyConfig(out=str(out))
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    return train(cfg)


def main() -> None:
    import torch

    from dlbox.autoencoders.anomaly import choose_threshold, detection_metrics, normal_class_indices
    from dlbox.autoencoders.metrics import reconstruction_error
    from dlbox.tasks.autoencode.adversarial import adversarial_examples
    from dlbox.tasks.autoencode.config import AttackOptions
    from dlbox.tasks.autoencode.train import RECIPE, train
    from dlbox.model_io import load_model

    parser = argparse.ArgumentParser()
    parser.add_argument("--clf", type=Path, help="a finished digits classify run (default: train one)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/autoencoders"))
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1])
    parser.add_argument("--shapes", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], help="anomaly | denoise | manifold")
    args = parser.parse_args()
    stamp = int(time.time())
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict = {}
    t_all = time.perf_counter()

    def log(text: str) -> None:
        print(text, flush=True)

    if "anomaly" not in args.skip:
        clf = args.clf or _digits_cnn(args.out / f"digits-cnn-{stamp}")
        summary["anomaly"] = []
        for seed in args.seeds:
            cfg = _cfg("anomaly", args.out / f"anomaly-s{seed}-{stamp}", seed)
            cfg.autoencode.anomaly.attack.run = str(clf)
            t = time.perf_counter()
            run = train(cfg)
            m = json.loads((run / "metrics.json").read_text())
            row = {"seed": seed, "run": str(run), "roc_auc": m["roc_auc"], "detection_rate": m["detection_rate"],
                   "false_alarm_rate": m["false_alarm_rate"], "train_time_s": m["train_time_s"], "wall_s": round(time.perf_counter() - t, 1),
                   "adversarial": []}
            log(f"anomaly seed {seed}: ROC-AUC {m['roc_auc']:.4f}, detection {m['detection_rate']:.3f} at false alarms "
                f"{m['false_alarm_rate']:.3f}; training {m['train_time_s']:.1f} s")
            # Adversarial examples of normal test digits at several budgets, scored by the same autoencoder.
            ae = load_model(run)
            bundle = RECIPE.load_data(cfg)  # train and val: the normal classes only
            normal = normal_class_indices(cfg.autoencode.anomaly.normal, bundle.class_names)
            test = bundle.test
            is_n = torch.isin(test["label"], torch.tensor(normal))
            err_n = reconstruction_error(ae, test["image"][is_n])
            threshold = choose_threshold(reconstruction_error(ae, bundle.val["image"]), cfg.autoencode.anomaly.threshold_quantile)
            for method, eps in ADVERSARIAL:
                acfg = AttackOptions(run=str(clf), method=method, eps=eps, target="none" if method == "evolution" else "random")
                adv, ok, info = adversarial_examples(acfg, test["image"][is_n], test["label"][is_n], seed)
                det = detection_metrics(err_n, reconstruction_error(ae, adv[ok]), threshold)
                row["adversarial"].append({"method": method, "eps": eps, "target": acfg.target, "attack_success": info["success_rate"],
                                           "n": det["n_anomalous"], "roc_auc": det["roc_auc"], "detection_rate": det["detection_rate"]})
                log(f"  adversarial {method} eps {eps} ({acfg.target}): attack success {100 * info['success_rate']:.1f}%, "
                    f"ROC-AUC {det['roc_auc']:.4f}, detection {det['detection_rate']:.3f}")
            summary["anomaly"].append(row)

    if "denoise" not in args.skip:
        cfg = _cfg("denoise", args.out / f"denoise-{stamp}")
        run = train(cfg)
        m = json.loads((run / "metrics.json").read_text())
        summary["denoise"] = {k: m[k] for k in ("sigma", "psnr_noisy", "psnr_denoised", "psnr_gain", "by_sigma", "train_time_s", "epochs")}
        summary["denoise"]["run"] = str(run)
        log(f"denoise sigma 0.3: noisy {m['psnr_noisy']:.2f} dB -> denoised {m['psnr_denoised']:.2f} dB (gain {m['psnr_gain']:+.2f} dB); "
            f"training {m['train_time_s']:.1f} s")

    if "manifold" not in args.skip:
        run = train(_cfg("manifold", args.out / f"manifold-{stamp}"))
        m = json.loads((run / "metrics.json").read_text())
        summary["manifold"] = {k: m[k] for k in ("latent_dim", "test_psnr", "knn5_accuracy", "train_time_s")}
        summary["manifold"]["run"] = str(run)
        log(f"manifold 2-D: test PSNR {m['test_psnr']:.2f} dB, 5-NN accuracy in the code {m['knn5_accuracy']:.3f}")

    if args.shapes:
        shapes = {"name": "shapes", "image_size": 32, "num_samples": 1500}
        cfg = _cfg("anomaly", args.out / f"shapes-anomaly-{stamp}", **shapes)
        cfg.autoencode.anomaly.normal = ["circle", "square"]
        run = train(cfg)
        m = json.loads((run / "metrics.json").read_text())
        summary["shapes_anomaly"] = {k: m[k] for k in ("normal_classes", "anomalous_classes", "roc_auc", "detection_rate", "false_alarm_rate", "train_time_s")}
        log(f"shapes anomaly (triangle vs circle+square): ROC-AUC {m['roc_auc']:.4f}")
        cfg = _cfg("denoise", args.out / f"shapes-denoise-{stamp}", **shapes)
        cfg.train.epochs = 30
        run = train(cfg)
        m = json.loads((run / "metrics.json").read_text())
        summary["shapes_denoise"] = {k: m[k] for k in ("psnr_noisy", "psnr_denoised", "psnr_gain", "train_time_s")}
        log(f"shapes denoise sigma 0.3: {m['psnr_noisy']:.2f} -> {m['psnr_denoised']:.2f} dB (gain {m['psnr_gain']:+.2f})")

    summary["wall_s"] = round(time.perf_counter() - t_all, 1)
    (args.out / "autoencoders.json").write_text(json.dumps(summary, indent=2))
    log(f"wrote {args.out / 'autoencoders.json'} ({summary['wall_s']} s)")


if __name__ == "__main__":
    main()
