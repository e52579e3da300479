"""What a run keeps on disk, and how it is written safely.

- :mod:`~gancurve.store.atomic`: every file written atomically (temporary file, fsync, rename);
- :mod:`~gancurve.store.rundir`: one run's directory and its files;
- :mod:`~gancurve.store.runs`: the runs directory, run names, creating and finding runs;
- :mod:`~gancurve.store.checkpoint`: the full training state, saved and validated on load;
- :mod:`~gancurve.store.lock`: one training per run at a time;
- :mod:`~gancurve.store.jsonfile`: a JSON file read back, whatever happened to it.
"""
