"""Pictures from a run directory: the training animation and the summary figure.

matplotlib is used through its object API on the Agg canvas only (no pyplot, no window);
these modules are imported by the commands that need them, never at CLI start-up.
"""
