"""A training run from start to finish, around the core's engines.

- :mod:`~gancurve.training.cadence`: how long to train and how often to write things down;
- :mod:`~gancurve.training.history`: the logged rows and snapshots, in memory and on resume;
- :mod:`~gancurve.training.session`: the loop: step, log, evaluate, snapshot, checkpoint;
- :mod:`~gancurve.training.guard`: what counts as a diverged run, and what the user is told;
- :mod:`~gancurve.training.resume`: opening a fresh run or continuing one, and what may change;
- :mod:`~gancurve.training.signals`: Ctrl-C and SIGTERM as a request to stop after a step.
"""
