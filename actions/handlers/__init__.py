"""rasa-sdk actions: thin adapters from a Rasa tracker to the ERP service."""
