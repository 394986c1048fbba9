"""Spreadsheet imports: one engine for every kind of table a town brings in (the village ledger, monitoring
points), each kind registered by the app that owns its rows."""
