"""Adapters for the file formats values and reports travel in: CSV, DHIS2 dataValueSets, FHIR MeasureReport."""
