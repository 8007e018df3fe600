"""Acceptance figures for adversarial attacks (issue 4, notes 3.10.1) on the digits CNN.

    python benchmarks/attacks.py [--clf RUN_DIR] [--out benchmarks/out/attacks] [--quick]

Trains the default digits CNN (``dlbox classify train``'s defaults) unless ``--clf``
names one, then attacks every test image it classifies correctly:

- success rate versus epsilon for FGSM, iterative FGSM, PGD (L-inf and L2, targeted
  with a random wrong class and untargeted) and the black-box evolution strategy;
- ``torchattacks``' PGD side by side with dlbox's at the same budget, steps, step size
  and targets (a benchmark-only dependency: ``pip install torchattacks``);
- targeted black-box figures.

Writes ``attacks.json`` and ``attacks-success-vs-eps-{linf,l2}.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

LINF = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
L2 = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]


def digits_cnn(out: Path) -> Path:
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.tasks.classify.train import train

    cfg = ClassifyConfig(out=str(out))
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    return train(cfg)


def shapes_benchmark(out: Path, quick: bool = False) -> dict:
    """A CNN on 32x32 RGB shapes (circle, square, triangle) attacked at small L-inf budgets (in 1/255 units)."""
    import torch

    from dlbox.attacks import predict, random_targets
    from dlbox.tasks.attack.config import AttackConfig
    from dlbox.tasks.attack.plots import plot_success_curves
    from dlbox.tasks.attack.run import sweep
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.data import load_dataset
    from dlbox.model_io import load_model
    from dlbox.tasks.classify.train import train

    cfg = ClassifyConfig(out=str(out / f"shapes-cnn-{int(time.time())}"))
    cfg.data.name, cfg.data.image_size, cfg.data.num_samples = "shapes", 32, 1500
    cfg.model.kwargs = {"channels": [16, 32, 64]}
    cfg.train.epochs, cfg.train.progress, cfg.fabric.accelerator = 8, False, "cpu"
    run = train(cfg)
    model = load_model(run)
    bundle = load_dataset(cfg.data)
    x, y = bundle.test["image"], bundle.test["label"]
    pred, _ = predict(model, x)
    acc = float((pred == y).float().mean())
    x, y = x[pred == y][: 64 if quick else 200], y[pred == y][: 64 if quick else 200]
    t = random_targets(y, 3, torch.Generator().manual_seed(1))
    eps_list = [1 / 255, 2 / 255, 4 / 255, 8 / 255]
    res: dict = {"classifier": str(run), "test_accuracy": acc, "n_images": len(x), "curves": {}}
    for label, method, targeted, kw in [
        ("fgsm untargeted", "fgsm", False, {}), ("pgd untargeted", "pgd", False, {"steps": 40}),
        ("pgd targeted", "pgd", True, {"steps": 40}), ("evolution untargeted", "evolution", False, {"max_queries": 1000}),
    ]:
        # Black-box search in 3,072 dimensions is costly on a CPU: 50 images, the two larger budgets.
        n, eps_used = (50, eps_list[2:]) if method == "evolution" else (len(x), eps_list)
        rows, _ = sweep(model, x[:n], y[:n], AttackConfig(method=method, **kw), t[:n] if targeted else None, eps_used)
        res["curves"][label] = rows
        print(f"shapes {label:22s} " + ", ".join(f"{255 * r['eps']:.0f}/255: {100 * r['success_rate']:.1f}%"
              + (f" (q {r['queries_median']:.0f})" if r.get("queries_median") is not None else "") for r in rows), flush=True)
    plot_success_curves({k: [(255 * r["eps"], r["success_rate"]) for r in v] for k, v in res["curves"].items()},
                        out / "attacks-shapes-success-vs-eps.png", "linf", f"shapes CNN ({len(x)} test images; eps in 1/255)")
    print(f"shapes CNN test accuracy {acc:.4f}", flush=True)
    return res


def main() -> None:
    import torch

    from dlbox.attacks import predict, random_targets
    from dlbox.tasks.attack.config import AttackConfig
    from dlbox.tasks.attack.plots import plot_success_curves
    from dlbox.tasks.attack.run import sweep
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.config import from_dict, load_yaml
    from dlbox.data import load_dataset
    from dlbox.model_io import load_model

    parser = argparse.ArgumentParser()
    parser.add_argument("--clf", type=Path, help="a finished digits classify run (default: train one)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/attacks"))
    parser.add_argument("--quick", action="store_true", help="fewer epsilons and images (a smoke run)")
    parser.add_argument("--shapes", action="store_true", help="also attack a CNN trained on 32x32 shapes")
    parser.add_argument("--skip-digits", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    t0 = time.perf_counter()
    results: dict = {}
    if args.shapes:
        results["shapes"] = shapes_benchmark(args.out, args.quick)
    if args.skip_digits:
        (args.out / "attacks-shapes.json").write_text(json.dumps(results, indent=2))
        return
    clf = args.clf or digits_cnn(args.out / f"digits-cnn-{int(time.time())}")
    model = load_model(clf)
    cfg_data = from_dict(ClassifyConfig, load_yaml(clf / "config.yaml")).data
    bundle = load_dataset(cfg_data)
    x, y = bundle.test["image"], bundle.test["label"]
    pred, _ = predict(model, x)
    test_acc = float((pred == y).float().mean())
    x, y = x[pred == y], y[pred == y]
    if args.quick:
        x, y = x[:64], y[:64]
    targets = random_targets(y, 10, torch.Generator().manual_seed(1))
    linf, l2 = (LINF[1::2], L2[1::2]) if args.quick else (LINF, L2)
    print(f"classifier {clf}: test accuracy {test_acc:.4f}; attacking {len(x)} correctly classified test images", flush=True)

    results.update({"classifier": str(clf), "test_accuracy": test_acc, "n_images": len(x), "curves": {}, "torchattacks": []})

    def run(label: str, norm: str, eps_list, targeted: bool, **kw) -> list[dict]:
        cfg = AttackConfig(norm=norm, **kw)
        t = time.perf_counter()
        rows, _ = sweep(model, x, y, cfg, targets if targeted else None, eps_list)
        results["curves"][label] = rows
        shown = ", ".join(f"{r['eps']:g}: {100 * r['success_rate']:.1f}%" for r in rows)
        extra = ""
        if kw.get("method") == "evolution":
            extra = " | median queries " + ", ".join(f"{r['queries_median']:.0f}" if r["queries_median"] is not None else "-" for r in rows)
        print(f"{label:38s} {shown}{extra}  ({time.perf_counter() - t:.1f} s)", flush=True)
        return rows

    for targeted in (False, True):
        tag = "targeted" if targeted else "untargeted"
        run(f"fgsm linf {tag}", "linf", linf, targeted, method="fgsm")
        run(f"ifgsm linf {tag}", "linf", linf, targeted, method="ifgsm")
        run(f"pgd linf {tag}", "linf", linf, targeted, method="pgd", steps=40)
        run(f"pgd l2 {tag}", "l2", l2, targeted, method="pgd", steps=40)
        run(f"fgsm l2 {tag}", "l2", l2, targeted, method="fgsm")
    run("evolution linf untargeted", "linf", linf, False, method="evolution", max_queries=2000)
    run("evolution l2 untargeted", "l2", l2, False, method="evolution", max_queries=2000)
    # Targeted black-box search needs more queries: a budget of 5,000 on the first 100 images.
    full = (x, y, targets)
    x, y, targets = x[:100], y[:100], targets[:100]
    run("evolution linf targeted", "linf", [0.2, 0.3], True, method="evolution", max_queries=5000)
    x, y, targets = full

    # torchattacks' PGD, side by side: same eps, steps, step size, targets, random start.
    try:
        import torchattacks
    except ImportError:
        print("torchattacks is not installed: pip install torchattacks (benchmark only)")
        torchattacks = None
    if torchattacks is not None:
        from dlbox.attacks import pgd

        for eps in (0.2, 0.3):
            for targeted in (True, False):
                alpha = 2.5 * eps / 40
                atk = torchattacks.PGD(model, eps=eps, alpha=alpha, steps=40, random_start=True)
                if targeted:
                    atk.set_mode_targeted_by_label(quiet=True)
                torch.manual_seed(0)
                t = time.perf_counter()
                adv = atk(x, targets if targeted else y)
                ta_s = time.perf_counter() - t
                with torch.no_grad():
                    p = model(adv).argmax(1)
                ta = float(((p == targets) if targeted else (p != y)).float().mean())
                t = time.perf_counter()
                mine = pgd(model, x, y, eps, "linf", 40, alpha, targets if targeted else None, generator=torch.Generator().manual_seed(0))
                db_s = time.perf_counter() - t
                db = float(mine.success.float().mean())
                row = {"eps": eps, "targeted": targeted, "steps": 40, "step_size": alpha, "torchattacks": ta, "dlbox": db,
                       "torchattacks_s": round(ta_s, 2), "dlbox_s": round(db_s, 2),
                       "max_linf_torchattacks": float((adv - x).abs().amax()), "max_linf_dlbox": float((mine.adversarial - x).abs().amax())}
                results["torchattacks"].append(row)
                print(f"PGD linf eps {eps} {'targeted' if targeted else 'untargeted'}: torchattacks {100 * ta:.1f}% ({ta_s:.1f} s), "
                      f"dlbox {100 * db:.1f}% ({db_s:.1f} s)", flush=True)

    for norm in ("linf", "l2"):
        curves = {k: [(r["eps"], r["success_rate"]) for r in v] for k, v in results["curves"].items() if f" {norm} " in k}
        plot_success_curves(curves, args.out / f"attacks-success-vs-eps-{norm}.png", norm, f"digits CNN ({len(x)} test images)")
    results["wall_s"] = round(time.perf_counter() - t0, 1)
    (args.out / "attacks.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out / 'attacks.json'} ({results['wall_s']} s)")


if __name__ == "__main__":
    main()
