"""The village ledger (台账): the spreadsheet layout cadres keep, read in by `imports` and written out by the
export, so that a round trip changes nothing."""
