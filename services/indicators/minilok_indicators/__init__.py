"""Minilok indicators service: the area hierarchy, the indicator catalogue, reported values, and the
rollups and PWS rankings that show whether follow-ups moved anything."""
