"""``dlbox autoencode``: autoencoder training runs, their reports and figures (notes 3.10.2, 3.10.3)."""
