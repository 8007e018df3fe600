"""``dlbox visualize invert``: reconstruct an image from each layer's representation; errors, curves, a gallery."""

from __future__ import annotations

from pathlib import Path

from dlbox.tasks.visualize.config import InvertConfig
from dlbox.visualize.inversion import Inversion, invert


def plot_error_curves(results: list[Inversion], path: Path) -> None:
    """Relative feature error against the iteration (log scale), one line per layer."""
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for r in results:
        steps, errs = zip(*r.curve)
        ax.plot([max(s, 1) for s in steps], errs, marker="o", ms=2, label=r.layer)
    ax.set_xscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative feature error")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_invert(cfg: InvertConfig) -> Path:
    """Reconstruct ``cfg.image`` from each layer's representation; write a run directory."""
    from dlbox.data.samples import image_label
    from dlbox.tasks.input_run import finish_run, network_image, open_network, save_gallery, save_png, start_run

    network = open_network(cfg, cfg.optimize)
    if not cfg.layers:
        raise ValueError(f"name one or more layers with --layers; `dlbox layers {cfg.model}` lists them")
    for layer in cfg.layers:
        network.resolve(layer)
    size = cfg.size if cfg.size is not None or network.image_size is not None else 128
    image = network_image(network, cfg.image, size)
    results = invert(network, image, list(cfg.layers), cfg.optimize)
    with start_run("visualize-invert", cfg, cfg.name, cfg.out) as run_dir:
        save_png(image, run_dir / "original.png")
        for i, r in enumerate(results, start=1):
            save_png(r.image, run_dir / f"invert_{i:02d}_{r.layer.replace('/', '_')}.png")
        save_gallery([image] + [r.image for r in results], [image_label(cfg.image)] + [f"{r.layer}\nerr {r.feature_error:.3f}" for r in results], run_dir / "reconstructions.png")
        plot_error_curves(results, run_dir / "feature_error.png")
        metrics = {
            "model": network.describe(), "image": cfg.image, "size": list(image.shape[-2:]),
            "layers": [
                {"layer": r.layer, "feature_error": r.feature_error, "start_error": r.start_error, "pixel_rmse": r.pixel_rmse,
                 "curve": [{"step": s, "feature_error": e} for s, e in r.curve], "seconds": round(r.optimize.seconds, 3)}
                for r in results
            ],
            "steps": cfg.optimize.steps,
        }
        return finish_run(run_dir, metrics)
