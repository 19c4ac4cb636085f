"""The studio's HTTP API, one module per area (docs/STUDIO.md)."""
