"""What every benchmark prints first: the machine it measured (the guide asks for lscpu's name)."""

from __future__ import annotations

import platform
import subprocess


def cpu_name() -> str:
    """The CPU's model name, as lscpu says it (else as Python knows it)."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()
