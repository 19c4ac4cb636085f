"""ERP assistant: command line, process supervision, configuration, tokens."""
