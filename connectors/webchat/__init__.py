"""The web chat: sign-in, the chat page, and its Socket.IO channel."""

from connectors.webchat.channel import WebChatInput

__all__ = ["WebChatInput"]
