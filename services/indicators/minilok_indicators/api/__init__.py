"""HTTP routes of the indicators service, one module per resource."""
