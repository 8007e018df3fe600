"""``dlbox generate sample``: new images from a finished generate run, as a picture and as a tensor file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlbox.tasks.generate.sampling import sample_images


def sample_run(run: str | Path, n: int = 64, seed: int = 0, out: str | Path | None = None, device: str = "cpu",
               **sampling: Any) -> tuple[Path, dict[str, Any]]:
    """``samples.png`` and ``samples.safetensors`` (``images``: ``(n, C, H, W)`` in [0, 1]) in ``out``
    (default: a new ``runs/generate-sample/`` directory), with the seconds per image in ``metrics.json``.

    ``sampling`` (``sampler``, ``ddim_steps``, ``eta``, ``temperature``, ``prior``) overrides the run's options when given.
    """
    from safetensors.torch import save_file

    from dlbox.engine.run_record import recorded_run
    from dlbox.engine.rundir import write_json
    from dlbox.tasks.generate.evaluate import sampler_name
    from dlbox.tasks.generate.figures import save_grid
    from dlbox.tasks.generate.saved import load_generate_run
    from dlbox.tasks.generate.config import check_options

    if n < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    saved = load_generate_run(run, device).with_options(**sampling)
    check_options(saved.cfg)
    images, seconds = sample_images(saved.model, saved.options, n, saved.image_shape, saved.levels, seed)
    with recorded_run("generate-sample", None, out) as out_dir:
        save_grid(images, out_dir / "samples.png", title=f"{saved.options.kind}: {sampler_name(saved.options)}")
        save_file({"images": images.cpu().contiguous()}, str(out_dir / "samples.safetensors"))
        info = {"run": str(run), "kind": saved.options.kind, "n": n, "seed": seed, "sampler": sampler_name(saved.options),
                "seconds_per_image": seconds}
        write_json(out_dir / "metrics.json", info)
        return out_dir, info
