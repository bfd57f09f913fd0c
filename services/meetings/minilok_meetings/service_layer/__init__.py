"""Use cases of the meetings service, one module per concept: they take a session and plain values."""
