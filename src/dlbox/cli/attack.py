"""``dlbox attack``: adversarial attacks on a trained classifier (one command, no sub-commands).

Registered in ``cli/main.py`` as ``app.command("attack")(attack.attack_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli import input_opt as o
from dlbox.cli.common import echo_run_dir, given, user_errors


def _number(text: str) -> float:
    """``0.3`` or a fraction such as ``8/255``."""
    if "/" in text:
        num, den = text.split("/", 1)
        return float(num) / float(den)
    return float(text)


def _eps_list(text: str) -> list[float]:
    try:
        values = [_number(v.strip()) for v in text.split(",") if v.strip()]
    except (ValueError, ZeroDivisionError):
        raise typer.BadParameter(f"{text!r} must be a number or comma-separated numbers, e.g. 0.3, 0.1,0.2,0.3 or 8/255", param_hint="--eps") from None
    if not values:
        raise typer.BadParameter("give at least one epsilon", param_hint="--eps")
    return values


@user_errors
def attack_command(
    run: Path = typer.Option(..., help="a finished classify run directory (the model to attack)"),
    data: Optional[str] = typer.Option(None, help="digits | shapes | folder:PATH | an image file | a directory of images (default: the run's dataset)"),
    split: Optional[str] = typer.Option(None, help="train | val | test (datasets; default test)"),
    method: Optional[str] = typer.Option(None, help="fgsm | ifgsm | pgd | evolution (default pgd; evolution is black-box)"),
    target: Optional[str] = typer.Option(None, help="CLASS (name or index) | random | none (default none: untargeted)"),
    eps: Optional[str] = typer.Option(None, help="budget (0.3 or 8/255), or several comma-separated for a success-vs-epsilon curve (default 0.3)"),
    norm: Optional[str] = typer.Option(None, help="linf | l2 (default linf)"),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="images to attack, a seeded random subset (default 256)"),
    steps: Optional[int] = typer.Option(None, min=1, help="ifgsm/pgd iterations (default 10/40)"),
    step_size: Optional[float] = typer.Option(None, min=0.0, help="ifgsm/pgd step (default 2.5 * eps / steps)"),
    random_start: Optional[bool] = typer.Option(None, "--random-start/--no-random-start", help="pgd: start at a random point of the ball"),
    restarts: Optional[int] = typer.Option(None, min=1, help="pgd: random restarts for images not yet fooled"),
    population: Optional[int] = typer.Option(None, min=1, help="evolution: parents kept per generation (mu)"),
    offspring: Optional[int] = typer.Option(None, min=1, help="evolution: children per generation (lambda)"),
    sigma: Optional[float] = typer.Option(None, min=0.0, help="evolution: initial mutation strength, a fraction of eps"),
    max_queries: Optional[int] = typer.Option(None, min=2, help="evolution: model queries allowed per image (default 2000)"),
    batch_size: Optional[int] = typer.Option(None, min=1, help="images attacked together"),
    seed: Optional[int] = o.SEED,
    gallery: Optional[int] = typer.Option(None, min=0, help="images shown in gallery.png (default 8)"),
    accelerator: Optional[str] = o.ACCELERATOR,
    name: Optional[str] = o.NAME, out: Optional[Path] = o.OUT, config: Optional[Path] = o.CONFIG, set_: Optional[list[str]] = o.SET,
) -> None:
    """Fool a trained classifier: white-box FGSM / iterative FGSM / PGD or a black-box evolution strategy.

    Writes metrics.json (clean accuracy, success rate, perturbation norms, queries per image for
    black-box), gallery.png (original, magnified perturbation, adversarial) and, for several
    epsilons, success_vs_eps.png.
    """
    from dlbox.config import resolve
    from dlbox.tasks.attack.config import AttackConfig
    from dlbox.tasks.attack.run import run_attack

    direct = given(
        run=str(run), data=data, split=split, method=method, target=target, eps=_eps_list(eps) if eps is not None else None,
        norm=norm, n=n, steps=steps, step_size=step_size, random_start=random_start, restarts=restarts, population=population,
        offspring=offspring, sigma=sigma, max_queries=max_queries, batch_size=batch_size, seed=seed, gallery=gallery,
        accelerator=accelerator, name=name, out=str(out) if out else None,
    )
    run_dir = run_attack(resolve(AttackConfig(), config, set_, **direct))
    _print_summary(run_dir)
    echo_run_dir(run_dir)


def _print_summary(run_dir: Path) -> None:
    import json

    m = json.loads((run_dir / "metrics.json").read_text())
    typer.echo(f"{m['method']} ({m['norm']}, target {m['target']}) on {m['n']} images, clean accuracy {m['clean_accuracy']:.4f}")
    for row in m["by_eps"]:
        rate = "n/a" if row["success_rate"] is None else f"{100 * row['success_rate']:.1f}%"
        line = f"  eps {row['eps']:g}: success {rate} ({row['n_success']}/{row['n_attacked']})"
        if row.get("linf_median") is not None:
            line += f" | median Linf {row['linf_median']:.3f}, L2 {row['l2_median']:.3f}"
        if row.get("queries_median") is not None:
            line += f" | median queries {row['queries_median']:.0f}"
        typer.echo(line)
