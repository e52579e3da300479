"""gancurve: train a tiny GAN that learns to draw parabolas.

Importing the package is cheap on purpose (no torch, no matplotlib), so that
``gancurve --help`` is instant. The core lives in :mod:`gancurve.core`.
"""

__version__ = "0.1.0"
