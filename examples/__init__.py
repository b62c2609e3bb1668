"""Reproducible experiments of rcpod; ``examples/reproduce.py`` runs them all into one report."""
