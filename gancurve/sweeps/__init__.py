"""Sweeps: one recipe trained on many seeds at once, read as a rate.

A sweep directory holds ``sweep.json`` (what was asked), ``summary.csv``/``summary.json`` (one
row per seed and the aggregate) and one ordinary run directory per seed (``seed-001/``...),
so every command that reads a run reads a member. One :class:`~gancurve.core.engines.batched.
BatchedEngine` trains all members; each member's run directory is kept by its own
:class:`~gancurve.training.session.TrainingSession`, exactly as a run trained alone.
"""
