"""What a trained run yields: its paintings (``sampling``), its scores and verdict (``evaluation``),
its logs and samples as files (``exports``) and its generator as a model file (``model_export``).
``gancurve sample``, ``evaluate`` and ``export`` print these; the Python API returns them."""
