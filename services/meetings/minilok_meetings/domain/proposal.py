"""How a proposed agenda item reads: its title from an indicator that misses its target (below a
target, or above a limit for a lower-is-better indicator), periods and numbers in Indonesian."""

from __future__ import annotations

from typing import Any

from minilok_shared.localtime import format_period


def format_angka(value: float) -> str:
    """Indonesian decimals: 72.5 → "72,5", 80.0 → "80"."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def proposal_title(fields: dict[str, Any]) -> str:
    """"Capaian <indicator> di <area> <period in words> di bawah target (value < target)", or "di atas
    batas (value > target)" when lower is better; at most 300 characters."""
    indicator = fields["indicator_name"] or fields["indicator_code"]
    area = fields["area_name"] or fields["area_code"]
    lower_is_better = fields.get("direction") == "lower_is_better"
    missed = "di atas batas" if lower_is_better else "di bawah target"
    title = f"Capaian {indicator} di {area} {format_period(fields['period'])} {missed}"
    value, target = fields["value"], fields["target"]
    if value is not None and target is not None:
        title += f" ({format_angka(value)} {'>' if lower_is_better else '<'} {format_angka(target)})"
    return title[:300]
