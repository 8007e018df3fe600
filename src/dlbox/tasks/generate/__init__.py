"""``dlbox generate``: VAE, GAN, normalizing flow and diffusion models (notes 4) trained, sampled and measured."""
