"""``dlbox visualize channels|invert`` and ``dlbox layers``: hidden-layer visualization as run directories (notes 3.9.1)."""
