"""What each CLI command does once its options are parsed (printing included)."""
