"""``dlbox attack``: adversarial attacks on a finished classify run, written as a run directory (notes 3.10.1)."""
