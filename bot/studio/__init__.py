"""The training studio: review conversations, turn them into training data,
train, evaluate and activate models, and run interactive learning.

Runs inside the Rasa server (Python 3.10); see docs/STUDIO.md.
"""

from bot.studio.channel import StudioInput

__all__ = ["StudioInput"]
