"""Settings from the environment, with the defaults that CONTRACT.md fixes.

Standard library only: imported by both Python environments.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
KB_STORE_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Settings:
    root: Path
    var_dir: Path
    database_url: str
    tracker_store_url: str
    lock_store_url: str | None
    rasa_port: int
    actions_port: int
    kb_dir: Path
    llm_model_path: str | None
    # a local cross-encoder directory; None: retrieval is not reranked
    kb_reranker_path: Path | None = None
    # None: the in-memory knowledge index saved under var/kb/; else PostgreSQL with pgvector
    kb_store_url: str | None = None
    # how long a read-back summary can be confirmed, and writes per user per minute
    confirmation_ttl_seconds: int = 300
    writes_per_minute: int = 20
    # the Rasa project the training studio edits; None: this repository
    studio_workspace: Path | None = None
    # seconds between background runs of the alert detectors; 0: disabled
    alert_interval_seconds: int = 300

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def demo_tokens_path(self) -> Path:
        return self.var_dir / "demo_tokens.json"

    @property
    def kb_index_path(self) -> Path:
        return self.var_dir / "kb" / "index.json"

    @property
    def kb_pages_dir(self) -> Path:
        """Readable copies of the indexed documents, served behind signed links."""
        return self.var_dir / "kb" / "pages"

    @property
    def secret_key_path(self) -> Path:
        return self.var_dir / "secret_key"

    @property
    def api_token_path(self) -> Path:
        return self.var_dir / "rasa_api_token"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def secret_key(self) -> bytes:
        """The token-signing key, generated into var/ on first use."""
        return _read_or_create(self.secret_key_path, lambda: secrets.token_hex(32)).encode()

    def rasa_api_token(self) -> str:
        token = os.environ.get("RASA_API_TOKEN")
        if token:
            return token
        return _read_or_create(self.api_token_path, lambda: secrets.token_urlsafe(32))


def _read_or_create(path: Path, make: object) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()  # type: ignore[operator]
    # Create exclusively so that two processes starting together agree on one key.
    try:
        with open(path, "x") as handle:
            handle.write(value)
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text().strip()


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    root = Path(env.get("ERP_ROOT", ROOT))
    var_dir = Path(env.get("ERP_VAR_DIR", root / "var"))
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'erp.db'}"
    tracker_default = (
        database_url
        if database_url.startswith("postgresql")
        else f"sqlite:///{var_dir / 'tracker.db'}"
    )
    return Settings(
        root=root,
        var_dir=var_dir,
        database_url=database_url,
        tracker_store_url=env.get("TRACKER_STORE_URL") or tracker_default,
        lock_store_url=env.get("LOCK_STORE_URL") or None,
        rasa_port=int(env.get("RASA_PORT", "5005")),
        actions_port=int(env.get("ACTIONS_PORT", "5055")),
        kb_dir=Path(env.get("KB_DIR", root / "knowledge")),
        llm_model_path=env.get("LLM_MODEL_PATH") or None,
        kb_reranker_path=_model_directory(env, "KB_RERANKER_PATH"),
        kb_store_url=_kb_store_url(env),
        confirmation_ttl_seconds=_whole_number(env, "ERP_CONFIRMATION_TTL_SECONDS", 300),
        writes_per_minute=_whole_number(env, "ERP_WRITES_PER_MINUTE", 20),
        studio_workspace=Path(env["STUDIO_WORKSPACE"]) if env.get("STUDIO_WORKSPACE") else None,
        alert_interval_seconds=_whole_number(env, "ERP_ALERT_INTERVAL_SECONDS", 300, minimum=0),
    )


def _model_directory(env: dict[str, str], name: str) -> Path | None:
    """A transformers model directory on disk, refused at start-up rather
    than on the first question: nothing is ever fetched from a hub."""
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.exists():
        raise SystemExit(f"{name} points to {path}, which does not exist.")
    if not path.is_dir():
        raise SystemExit(f"{name} must be a model directory, not a file: {path}")
    if not (path / "config.json").is_file():
        raise SystemExit(f"{name}: {path} is not a model directory (it has no config.json).")
    weights = [*path.glob("*.safetensors"), *path.glob("pytorch_model*.bin")]
    if not weights:
        raise SystemExit(
            f"{name}: {path} is not a model directory (no *.safetensors or pytorch_model*.bin)."
        )
    return path


def check_kb_store_url(url: str) -> str:
    """The URL if it names a PostgreSQL database; ValueError saying what is wrong otherwise.

    The messages never repeat the URL: it may hold a password.
    """
    expected = (
        "KB_STORE_URL must be a PostgreSQL URL of a database with the pgvector extension, "
        "postgresql://user[:password]@host[:port]/database (or unset, for the in-memory "
        "index under var/kb/)"
    )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as error:
        raise ValueError(f"{expected}; this one is not a valid URL ({error}).") from None
    scheme = parts.scheme.lower()
    if scheme.startswith(KB_STORE_SCHEMES) and "+" in scheme:
        # a SQLAlchemy URL such as DATABASE_URL's; the store connects with psycopg 3 itself
        raise ValueError(f"{expected}; drop the driver suffix '+{scheme.split('+', 1)[1]}'.")
    if scheme not in KB_STORE_SCHEMES:
        raise ValueError(f"{expected}; the scheme {parts.scheme or '(none)'!r} is not supported.")
    if not parts.path.strip("/"):
        raise ValueError(f"{expected}; this one names no database.")
    return url


def _kb_store_url(env: dict[str, str]) -> str | None:
    raw = (env.get("KB_STORE_URL") or "").strip()
    if not raw:
        return None
    try:
        return check_kb_store_url(raw)
    except ValueError as error:
        raise SystemExit(str(error)) from None


def _whole_number(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        off = " (0 turns it off)" if minimum == 0 else ""
        raise SystemExit(f"{name} must be at least {minimum}{off}, not {value}.")
    return value
