"""Who is speaking: the one check every channel runs before accepting anything.

A token must carry a valid signature. A browser session's token (it names
a session) is accepted only while that session is live in the ERP
database, so signing out ends it everywhere; an API token (scripts,
integrations) lives until the secret changes.
"""

from __future__ import annotations

from bot.auth import Identity, InvalidToken, bearer_token, verify_token
from bot.config import load_settings
from connectors.backend import BackendRefused, BackendUnavailable, ERPBackend


class NotSignedIn(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Authenticator:
    def __init__(self, secret: bytes | None = None, backend: ERPBackend | None = None) -> None:
        self._secret = secret
        self._backend = backend

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = load_settings().secret_key()
        return self._secret

    @property
    def backend(self) -> ERPBackend:
        if self._backend is None:
            self._backend = ERPBackend()
        return self._backend

    async def identify(self, token: str | None) -> Identity:
        if not token:
            raise NotSignedIn(401, "Missing bearer token: send 'Authorization: Bearer <token>'.")
        try:
            identity = verify_token(self.secret, token)
        except InvalidToken as error:
            raise NotSignedIn(401, f"Invalid token: {error}.") from error
        if identity.session is None:
            return identity
        try:
            live = await self.backend.session(identity.session)
        except (BackendUnavailable, BackendRefused) as error:
            raise NotSignedIn(503, "Sign-in cannot be checked right now; try again.") from error
        if live is None:
            raise NotSignedIn(401, "Your session has ended. Please sign in again.")
        return identity

    async def identify_header(self, authorization: str | None) -> Identity:
        return await self.identify(bearer_token(authorization))
