"""Speed benchmarks of rcpod against reservoirpy and PennyLane (see examples/speed.py)."""
