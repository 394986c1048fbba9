"""The monitoring network: cameras and gauges (points), reservoirs, their health, telemetry in."""
