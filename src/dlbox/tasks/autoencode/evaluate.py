"""What each ``dlbox autoencode`` mode measures on held-out images, and the pictures it draws.

- ``train``: reconstruction MSE and PSNR; ``reconstructions.png``.
- ``denoise``: PSNR of noisy and denoised images at several noise levels; ``denoised.png``.
- ``anomaly``: ROC-AUC and rates of reconstruction error, normal versus anomalous (and adversarial)
  images; ``errors.png``, ``roc.png``, ``anomaly_examples.png``.
- ``manifold``: 5-NN accuracy in the code; ``latent_map.png``, ``latent_grid.png``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.autoencoders.metrics import add_noise, encode, mse_per_image, psnr, reconstruct, reconstruction_error
from dlbox.tasks.autoencode.config import AnomalyOptions, AutoencodeConfig
from dlbox.tasks.autoencode.figures import plot_error_histograms, plot_latent_map, plot_montage, plot_roc, save_rows


def evaluate_mode(cfg: AutoencodeConfig, model: nn.Module, bundle: Any, normal: list[int] | None, run_dir: Path,
                  device: torch.device | str = "cpu") -> dict[str, Any]:
    """The measurements and figures of ``cfg.autoencode.mode`` on the held-out test split of ``bundle``."""
    opts = cfg.autoencode
    dtype = next(model.parameters()).dtype  # 32-true and mixed precision: float32; bf16-true, 64-true: theirs

    def on_device(split: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(device, dtype) if v.is_floating_point() else v.to(device) for k, v in split.items()}

    test = on_device(bundle.test)
    if opts.mode == "denoise":
        return denoise_report(model, test["image"], opts.noise, run_dir, seed=cfg.train.seed, clip=opts.clip_noise, show=opts.show)
    if opts.mode == "anomaly":
        if normal is None:
            raise ValueError("anomaly mode needs the normal classes")
        val_images = on_device(bundle.val)["image"]
        return anomaly_report(model, val_images, test, normal, bundle.class_names, opts.anomaly, run_dir,
                              seed=cfg.train.seed, show=opts.show)
    if opts.mode == "manifold":
        train = on_device(bundle.train)
        return manifold_report(model, train, test, bundle.class_names, run_dir, grid=opts.grid)
    return reconstruction_report(model, test["image"], run_dir, show=opts.show)


def reconstruction_report(model: nn.Module, images: torch.Tensor, run_dir: Path, show: int = 8) -> dict[str, Any]:
    """Test reconstruction MSE and PSNR, and ``reconstructions.png`` (inputs over outputs)."""
    rec = reconstruct(model, images)
    save_rows([images, rec], ["input", "reconstruction"], run_dir / "reconstructions.png", show)
    return {"test_mse": float(mse_per_image(rec, images).mean()), "test_psnr": float(psnr(rec, images))}


def denoise_report(model: nn.Module, clean: torch.Tensor, sigma: float, run_dir: Path, seed: int = 0, clip: bool = False,
                   show: int = 8, other_sigmas: Sequence[float] = (0.1, 0.2, 0.3, 0.5)) -> dict[str, Any]:
    """Held-out PSNR before/after at the training ``sigma`` (and at ``other_sigmas``); ``denoised.png``."""
    from dlbox.autoencoders.denoise import denoise, psnr_gain

    main = psnr_gain(model, clean, sigma, seed, clip)
    by_sigma = [main if abs(s - sigma) < 1e-12 else psnr_gain(model, clean, s, seed, clip) for s in sorted({*other_sigmas, sigma})]
    gen = torch.Generator(device=clean.device).manual_seed(seed)
    noisy = add_noise(clean[:show], sigma, gen, clip)
    den = denoise(model, noisy)
    titles = [
        ["clean"] * len(noisy),
        [f"noisy {float(p):.1f} dB" for p in psnr(noisy, clean[:show], reduction="none")],
        [f"denoised {float(p):.1f} dB" for p in psnr(den, clean[:show], reduction="none")],
    ]
    save_rows([clean[:show], noisy, den], ["clean", "noisy", "denoised"], run_dir / "denoised.png", show, titles)
    return {**main, "n_test": len(clean), "by_sigma": by_sigma}


def anomaly_report(model: nn.Module, val_images: torch.Tensor, test: dict[str, torch.Tensor], normal: list[int],
                   class_names: Sequence[str], options: AnomalyOptions, run_dir: Path, seed: int = 0, show: int = 8) -> dict[str, Any]:
    """Threshold from validation normals; ROC-AUC and rates on test normal vs anomalous (and adversarial) images.

    Figures: ``errors.png`` (histograms with the threshold), ``roc.png``, ``anomaly_examples.png``.
    """
    from dlbox.autoencoders.anomaly import choose_threshold, detection_metrics

    threshold = choose_threshold(reconstruction_error(model, val_images), options.threshold_quantile)
    is_normal = torch.isin(test["label"], torch.as_tensor(normal, device=test["label"].device))
    errors = reconstruction_error(model, test["image"])  # (N,) the anomaly score
    err_n, err_a = errors[is_normal], errors[~is_normal]
    report: dict[str, Any] = {
        "normal_classes": [class_names[i] for i in normal],
        "anomalous_classes": [class_names[i] for i in range(len(class_names)) if i not in normal],
        "threshold": threshold,
        "threshold_quantile": options.threshold_quantile,
        **detection_metrics(err_n, err_a, threshold),
    }
    groups = {"normal (test)": err_n, "anomalous (test)": err_a}
    rows = [test["image"][is_normal], test["image"][~is_normal]]
    row_names = ["normal", "anomalous"]
    attack = options.attack
    if attack.run:
        from dlbox.tasks.autoencode.adversarial import adversarial_examples

        adv, ok, info = adversarial_examples(attack, test["image"][is_normal], test["label"][is_normal], seed)
        err_adv = reconstruction_error(model, adv[ok])
        det = detection_metrics(err_n, err_adv, threshold)
        report["adversarial"] = {
            "classifier": str(attack.run),
            "attack": info,
            **{k: det[k] for k in ("roc_auc", "n_anomalous", "detection_rate", "mean_error_anomalous")},
        }
        groups[f"adversarial ({attack.method}, eps {attack.eps:g})"] = err_adv
        rows.append(adv[ok])
        row_names.append("adversarial")
    plot_error_histograms(groups, threshold, run_dir / "errors.png")
    plot_roc({k: v for k, v in groups.items() if k != "normal (test)"}, err_n, run_dir / "roc.png")
    _save_examples(model, rows, row_names, run_dir / "anomaly_examples.png", show)
    return report


def _save_examples(model: nn.Module, rows: list[torch.Tensor], names: list[str], path: Path, show: int) -> None:
    """Each group's first images over their reconstructions, titled with the reconstruction error."""
    tensors, titles = [], []
    k = min(show, *(len(r) for r in rows)) if rows else 0
    for name, imgs in zip(names, rows):
        imgs = imgs[:k]
        rec = reconstruct(model, imgs)
        err = mse_per_image(rec, imgs)
        tensors += [imgs, rec]
        titles += [[name] * k, [f"rec. err {float(e):.4f}" for e in err]]
    if k:
        save_rows(tensors, [], path, k, titles)


def manifold_report(model: nn.Module, train: dict[str, torch.Tensor], test: dict[str, torch.Tensor],
                    class_names: Sequence[str], run_dir: Path, grid: int = 15) -> dict[str, Any]:
    """``latent_map.png`` (test codes by class), ``latent_grid.png`` (decoded grid) and their numbers."""
    from dlbox.autoencoders.manifold import Plane, knn_accuracy, latent_grid, map_extent

    train_codes = encode(model, train["image"])  # (N, latent_dim)
    test_codes = encode(model, test["image"])
    plane = Plane(train_codes)
    lo, hi = map_extent(plane.to_map(train_codes))
    plot_latent_map(plane.to_map(test_codes), test["label"], class_names, run_dir / "latent_map.png", lo, hi)
    plot_montage(latent_grid(model, plane, lo, hi, grid), grid, run_dir / "latent_grid.png", lo, hi)
    rec = reconstruct(model, test["image"])
    return {
        "latent_dim": plane.dim,
        "map": "code" if plane.dim == 2 else "first two principal directions of the code",
        "test_mse": float(mse_per_image(rec, test["image"]).mean()),
        "test_psnr": float(psnr(rec, test["image"])),
        "knn5_accuracy": knn_accuracy(train_codes, train["label"], test_codes, test["label"], 5),
        "map_range": {"lo": lo.tolist(), "hi": hi.tolist()},
        "grid": grid,
    }
