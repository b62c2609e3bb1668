"""What a measurement ran on: the facts every benchmark and the report record."""
from __future__ import annotations

import platform

__all__ = ["cpu_model", "memory_gb"]


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux), or what ``platform`` knows.

    Examples
    --------
    >>> from rcpod.benchmarks.machine import cpu_model
    >>> isinstance(cpu_model(), str)
    True
    """
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gb():
    """Physical memory in GiB (from /proc/meminfo), or NaN where it cannot be read.

    Examples
    --------
    >>> from rcpod.benchmarks.machine import memory_gb
    >>> m = memory_gb()
    >>> m != m or m > 0
    True
    """
    try:
        with open("/proc/meminfo") as fh:
            return int(fh.readline().split()[1]) / 2 ** 20
    except (OSError, ValueError, IndexError):
        return float("nan")
