"""Use cases of the indicators service: each takes a session and plain values (API, CLI, handlers, tasks call them)."""
