"""HTTP routes of the meetings service, one module per resource."""
