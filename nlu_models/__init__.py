"""Custom Rasa NLU components of the ERP assistant (see erp_entities.py)."""
