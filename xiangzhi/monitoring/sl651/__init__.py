"""SL 651-2014 hydrology telemetry: the HEX/BCD codec (`codec`), the TCP centre station (`listener`), handlers."""
