"""Generative models' math (notes 4): losses, processes and samplers, one concept per module.

- :mod:`~dlbox.generative.vae_loss`: reparameterisation, KL to N(0, I), the (beta-)ELBO (notes 4.1).
- :mod:`~dlbox.generative.likelihood`: Gaussian and discretised-logistic pixel likelihoods, bits/dim.
- :mod:`~dlbox.generative.gan_loss`: non-saturating, saturating and hinge GAN losses (notes 4.2).
- :mod:`~dlbox.generative.dequantize` and :mod:`~dlbox.generative.flow_loss`: flows' NLL in bits/dim (notes 4.3).
- :mod:`~dlbox.generative.noise_schedule`: the diffusion forward process (notes 4.4).
- :mod:`~dlbox.generative.diffusion_loss`: the epsilon-prediction training objective.
- :mod:`~dlbox.generative.ddpm` and :mod:`~dlbox.generative.ddim`: samplers.
- :mod:`~dlbox.generative.latent_interpolation`: paths between latent codes.
- :mod:`~dlbox.generative.frechet` and :mod:`~dlbox.generative.classifier_scores`: sample quality.

The networks are registered models: ``vae``, ``dcgan_generator``, ``dcgan_discriminator``,
``realnvp`` and ``diffusion_unet`` (``dlbox.models``).
"""
