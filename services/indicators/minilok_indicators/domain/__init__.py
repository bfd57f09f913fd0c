"""Pure rules of the indicators domain (no I/O): area levels, periods, rollup arithmetic."""
