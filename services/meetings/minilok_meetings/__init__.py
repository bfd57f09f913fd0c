"""Minilok meetings service: what a puskesmas records at its lokakarya mini, and every follow-up after."""
