"""The GAN itself: pure torch + numpy, no files, no printing.

- :mod:`~gancurve.core.config`: the hyperparameters (``TrainConfig``, torch-free);
- :mod:`~gancurve.core.artist`: the real paintings and their bounds;
- :mod:`~gancurve.core.models`: the generator and the discriminator;
- :mod:`~gancurve.core.losses`: the minimax objective on logits;
- :mod:`~gancurve.core.trainer`: the readable training step (the reference);
- :mod:`~gancurve.core.metrics`: exact quality against the known target.

Nothing is imported here, so that ``gancurve.core.config`` can be read without torch.
"""
