"""Read capabilities: one module per ERP area, each function one question."""
