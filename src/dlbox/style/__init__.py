"""Style transfer (notes 3.9.3): Gatys optimisation and Johnson perceptual-loss networks."""
