"""Hidden-layer visualization (notes 3.9.1): image ascent and feature inversion."""
