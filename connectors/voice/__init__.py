"""The voice channel (`connectors.voice.VoiceInput` in credentials.yml).

audio.py decodes and checks uploads, engines.py holds the speech engines,
spoken.py turns spoken numbers and references into written ones (and
replies into speakable text), channel.py is the Rasa input channel.
"""

from connectors.voice.channel import VoiceInput

__all__ = ["VoiceInput"]
