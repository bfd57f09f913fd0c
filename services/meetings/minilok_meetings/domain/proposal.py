"""How a proposed agenda item reads: its title from a below-target indicator, numbers in Indonesian."""

from __future__ import annotations

from typing import Any


def format_angka(value: float) -> str:
    """Indonesian decimals: 72.5 → "72,5", 80.0 → "80"."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def proposal_title(fields: dict[str, Any]) -> str:
    """"Capaian <indicator> di <area> <period> di bawah target (value < target)", at most 300 characters."""
    indicator = fields["indicator_name"] or fields["indicator_code"]
    area = fields["area_name"] or fields["area_code"]
    title = f"Capaian {indicator} di {area} {fields['period']} di bawah target"
    value, target = fields["value"], fields["target"]
    if value is not None and target is not None:
        sign = ">" if fields["direction"] == "lower_is_better" else "<"
        title += f" ({format_angka(value)} {sign} {format_angka(target)})"
    return title[:300]
