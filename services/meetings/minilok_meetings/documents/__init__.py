"""The notulen of a meeting as documents: minutes as PDF (ReportLab), follow-ups as XLSX (openpyxl).

Rendering is pure: the routes load a `MinutesContent` (a few queries) and hand it over."""
