"""The GAN itself: pure torch + numpy, no files, no printing.

- :mod:`~gancurve.core.config`: the hyperparameters (``TrainConfig``, torch-free);
- :mod:`~gancurve.core.artist`: the real paintings and their bounds;
- :mod:`~gancurve.core.models`: the generator and the discriminator, and their initial weights;
- :mod:`~gancurve.core.losses`: the minimax objective on logits;
- :mod:`~gancurve.core.draws`: seeds and random draws (the training stream and side streams);
- :mod:`~gancurve.core.engines`: the training step: the readable reference and the fast engines;
- :mod:`~gancurve.core.metrics`: exact quality against the known target.

Nothing is imported here, so that ``gancurve.core.config`` can be read without torch.
"""
