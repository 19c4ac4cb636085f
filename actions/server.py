"""The action server: rasa-sdk's Sanic app plus Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request

from actions import stage_timing
from actions.internal_api import build_blueprint as build_internal_blueprint
from bot import logs
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


class MeasuredExecutor(ActionExecutor):
    """Runs each action with its message's request id and a clock for its stages."""

    async def run(self, action_call: dict[str, Any]) -> Any:
        request_id = stage_timing.request_id_of(action_call)
        times = stage_timing.StageTimes()
        request_token = logs.REQUEST_ID.set(request_id)
        stages_token = stage_timing.CURRENT_STAGES.set(times)
        started = time.perf_counter()
        try:
            return await super().run(action_call)
        finally:
            elapsed = time.perf_counter() - started
            stage_timing.CURRENT_STAGES.reset(stages_token)
            stage_timing.observe(times)
            if request_id:
                stage_timing.TURN_STAGES.add(request_id, times)
            action = action_call.get("next_action")
            logger.info(
                "action %s",
                action,
                extra={
                    "action": action,
                    "ms": round(elapsed * 1000, 2),
                    "queries": times.queries,
                    **times.as_ms(),
                },
            )
            logs.REQUEST_ID.reset(request_token)


def build_app() -> Sanic:
    stage_timing.time_database_queries()
    executor = MeasuredExecutor()
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
        new = getattr(result, "new_total", None)
        logger.info("alert detectors: %s new alerts", new, extra={"new_alerts": new})

    await run_periodically(
        lambda: run_detectors(settings.database_url),
        settings.alert_interval_seconds,
        initial_delay=initial_delay,
        on_result=report,
    )


def serve(host: str, port: int) -> None:
    logs.configure("actions")
    app = build_app()
    logs.adopt_library_loggers()
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
