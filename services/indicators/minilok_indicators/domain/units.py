"""Units of an indicator and the factor a ratio is multiplied by."""

DEFAULT_FACTORS = {"percent": 100.0, "per_100k": 100_000.0, "per_1000": 1000.0, "count": 1.0, "ratio": 1.0}
