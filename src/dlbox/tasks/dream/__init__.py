"""``dlbox dream``: DeepDream on an image, written as a run directory (notes 3.9.2)."""
