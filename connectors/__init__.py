"""Rasa input channels. Each verifies who is speaking before Rasa sees a message."""
