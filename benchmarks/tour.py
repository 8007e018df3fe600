"""Time ``dlbox tour`` (and ``--quick``) end to end in a fresh process and list each step's headline figures.

    python benchmarks/tour.py --quick [--out DIR] [--kill-after SECONDS]
    python benchmarks/tour.py [--out DIR]

Prints the wall time, peak memory of the tour process, the load average before and after (the machine is shared:
other work slows the tour), then one markdown row per step: its seconds, status and the headline figures of the
runs that show its sections, ready for benchmarks/RESULTS.md. With ``--kill-after S`` the tour is first killed
(SIGKILL) after S seconds, then rerun with the same ``--out``: the rerun must keep every step completed before the
kill (the script checks that their runs were reused) and finish the rest.

Acceptance (issue 11): ``--quick`` within 5 minutes and the full tour within 25 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
BUDGET_S = {"quick": 300, "full": 1500}


def run_tour(out: Path, quick: bool, kill_after: float | None = None) -> tuple[float, int]:
    """Run ``dlbox tour`` into ``out`` in a fresh process; returns (wall seconds, exit status). Killed: status -9."""
    cmd = [sys.executable, "-m", "dlbox.cli.main", "tour", "--out", str(out), *(["--quick"] if quick else [])]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, "MPLBACKEND": "Agg"})
    try:
        code = proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
    return time.perf_counter() - t0, code


def figures(out: Path) -> list[dict]:
    """Each step of ``out/tour.json`` with the headline figures of the runs its sections show."""
    from dlbox.report import headline, is_run_dir

    state = json.loads((out / "tour.json").read_text())
    rows = []
    for step in state["steps"]:
        shown = dict.fromkeys(r or step["runs"][0]["name"] for r in step["sections"].values())
        heads = []
        for name in shown:
            run_dir = out / step["step"] / name
            if is_run_dir(run_dir):
                heads += [f"{name}: " + ", ".join(f"{f.label} {f.text}" for f in headline(run_dir)[:2])]
        rows.append({"step": step["step"], "status": step["status"], "seconds": step["seconds"], "figures": heads,
                     "error": step.get("error")})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="tour directory (default: benchmarks/out/tour-MODE; emptied first)")
    parser.add_argument("--kill-after", type=float, default=None, help="SIGKILL the first tour after this many seconds, then resume it")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    out = args.out or Path("benchmarks/out") / f"tour-{mode}"
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()
    killed_at: list[str] = []
    if args.kill_after:
        seconds, code = run_tour(out, args.quick, args.kill_after)
        state = json.loads((out / "tour.json").read_text()) if (out / "tour.json").is_file() else {"steps": []}
        killed_at = [s["step"] for s in state["steps"] if s["status"] == "complete"]
        print(f"killed after {seconds:.0f} s (exit {code}) with {len(killed_at)} steps complete: {', '.join(killed_at)}", flush=True)
    seconds, code = run_tour(out, args.quick)
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = figures(out)
    if killed_at:
        redone = [r["step"] for r in json.loads((out / "tour.json").read_text())["steps"]
                  if r["step"] in killed_at and not r["skipped"]]
        print(f"resumed: {len(killed_at) - len(redone)} of {len(killed_at)} completed steps kept" + (f"; REDONE: {redone}" if redone else ""))
    budget = BUDGET_S[mode]
    print(f"\n`dlbox tour{' --quick' if args.quick else ''}`: {seconds:.0f} s wall (budget {budget} s: "
          f"{'met' if seconds <= budget else 'MISSED'}), exit {code}, peak memory {peak_mb:.0f} MB, "
          f"load average {load_before[0]:.1f} before / {load_after[0]:.1f} after, {os.cpu_count()} CPUs\n")
    print("| step | status | seconds | headline figures |\n|---|---|---:|---|")
    for r in rows:
        text = ("; ".join(r["figures"]) or (r["error"] or "")).replace("|", "\\|")  # a bare pipe ends a table cell
        print(f"| {r['step']} | {r['status']} | {r['seconds']:.1f} | {text} |")
    print(f"\nindex: {out / 'index.html'}")


if __name__ == "__main__":
    main()
