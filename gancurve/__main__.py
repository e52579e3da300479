"""Allow ``python -m gancurve``."""

from gancurve.cli import main

if __name__ == "__main__":
    main()
