"""The action server: rasa-sdk's Sanic app plus Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging
import warnings

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request

from actions.internal_api import build_blueprint as build_internal_blueprint
from bot.config import Settings, load_settings

logger = logging.getLogger(__name__)

HANDLERS_PACKAGE = "actions.handlers"

# rasa-sdk warns on every call when its major.minor differs from the Rasa
# server's. Rasa 3.6 needs Python <= 3.10 and rasa-sdk 3.6 has no Python 3.11
# build, so the pair is 3.6 / 3.21 by necessity; the action protocol did not
# change between them and the end-to-end tests exercise it (README, "Versions").
warnings.filterwarnings(
    "ignore", message=r"Your versions of rasa and rasa_sdk might not be compatible"
)


def build_app() -> Sanic:
    executor = ActionExecutor()
    executor.register_package(HANDLERS_PACKAGE)
    app = create_app(executor, cors_origins=[])
    app.blueprint(build_internal_blueprint())

    @app.after_server_start
    async def warm_up_knowledge(app: Sanic) -> None:
        # Load the embedding model and the index in the background: the first
        # policy question should not pay for it, and start-up should not wait.
        from actions.handlers.knowledge import get_knowledge

        app.add_task(asyncio.to_thread(get_knowledge().warm_up), name="knowledge-warm-up")

    @app.after_server_start
    async def start_alert_detectors(app: Sanic) -> None:
        settings = load_settings()
        if settings.alert_interval_seconds > 0:
            app.add_task(alert_detectors(settings), name="alert-detectors")

    @app.get("/metrics")
    async def metrics(_: Request) -> response.HTTPResponse:
        return response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)

    return app


async def alert_detectors(settings: Settings, initial_delay: float = 5.0) -> None:
    """Run the alert detectors every ERP_ALERT_INTERVAL_SECONDS, off the event loop."""
    from actions.erp.alerts import run_detectors
    from actions.erp.alerts.scheduler import run_periodically

    def report(result: object) -> None:
        logger.info("alert detectors: %s new alerts", getattr(result, "new_total", "?"))

    await run_periodically(
        lambda: run_detectors(settings.database_url),
        settings.alert_interval_seconds,
        initial_delay=initial_delay,
        on_result=report,
    )


def serve(host: str, port: int) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = build_app()
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
