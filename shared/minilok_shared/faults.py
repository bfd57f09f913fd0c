"""Crash points for fault-injection tests: `MINILOK_FAULTS=relay.after_publish,consumer.after_commit`
makes the process die (as by `kill -9`) the first time it reaches a named point. A marker file in
MINILOK_FAULTS_DIR (default ./var) records that it happened, so the restarted process goes on.
Nothing happens unless MINILOK_FAULTS is set."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def crash_point(name: str, qualifier: str | None = None) -> None:
    """`qualifier` narrows a point: `consumer.after_commit:followup.created` fires only there."""
    faults = os.environ.get("MINILOK_FAULTS")
    if not faults:
        return
    wanted = set(faults.split(","))
    if name not in wanted and f"{name}:{qualifier}" not in wanted:
        return
    marker = Path(os.environ.get("MINILOK_FAULTS_DIR", "var")) / f"fault-{name}.done"
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    log.warning("fault injection: crashing at %s", name)
    logging.shutdown()
    os._exit(137)
