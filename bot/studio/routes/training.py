"""Training, models and evaluation (docs/STUDIO.md, "Training and models", "Evaluation")."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.studio.context import Studio
from bot.studio.evaluation import start_evaluation
from bot.studio.http import Refused, int_arg, json_body, text_field
from bot.studio.jobs import KINDS
from bot.studio.models import checked_name
from bot.studio.train import start_training
from bot.studio.validation import validate

MAX_LOG_OFFSET = 2**40


def add_routes(studio: Blueprint, context: Studio) -> None:
    @studio.post("/studio/api/validate")
    async def validate_data(request: Request) -> HTTPResponse:
        await context.trainer(request)
        return response.json(await validate(context.jobs))

    @studio.post("/studio/api/training")
    async def train(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        # a body is optional; if one is sent it must be a JSON object
        if request.body:
            json_body(request, "Send no body, or a JSON object.")
        job = start_training(context.jobs, context.workspace, context.models, identity.user)
        return response.json({"job": context.jobs.describe(job)}, status=202)

    @studio.get("/studio/api/jobs")
    async def jobs(request: Request) -> HTTPResponse:
        await context.trainer(request)
        kind = request.args.get("kind") or None
        if kind is not None and kind not in KINDS:
            raise Refused(400, "'kind' must be 'training' or 'evaluation'.")
        return response.json({"jobs": [context.jobs.describe(j) for j in context.jobs.list(kind)]})

    @studio.get("/studio/api/jobs/<job_id>")
    async def job(request: Request, job_id: str) -> HTTPResponse:
        await context.trainer(request)
        return response.json(context.jobs.describe(context.jobs.get(job_id)))

    @studio.get("/studio/api/jobs/<job_id>/log")
    async def job_log(request: Request, job_id: str) -> HTTPResponse:
        await context.trainer(request)
        offset = int_arg(request, "offset", 0, low=0, high=MAX_LOG_OFFSET)
        return response.json(context.jobs.read_log(job_id, offset))

    @studio.get("/studio/api/models")
    async def models(request: Request) -> HTTPResponse:
        await context.trainer(request)
        return response.json(await context.models.overview())

    # declared before "<name>/activate" only for readability: the paths differ in length
    @studio.post("/studio/api/models/rollback")
    async def rollback(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        return response.json(await context.models.rollback(identity.user))

    @studio.post("/studio/api/models/<name>/activate")
    async def activate(request: Request, name: str) -> HTTPResponse:
        identity = await context.trainer(request)
        return response.json(await context.models.activate(name, identity.user))

    @studio.post("/studio/api/evaluations")
    async def evaluate(request: Request) -> HTTPResponse:
        identity = await context.trainer(request)
        body = json_body(request, 'Send {"model": "erp-<fingerprint>.tar.gz"}.')
        name = checked_name(text_field(body, "model", max_length=200))
        job = start_evaluation(
            context.jobs,
            context.workspace,
            context.models,
            context.evaluations,
            name,
            identity.user,
        )
        return response.json({"job": context.jobs.describe(job)}, status=202)

    @studio.get("/studio/api/evaluations/<name>")
    async def evaluation(request: Request, name: str) -> HTTPResponse:
        await context.trainer(request)
        context.models.path(name)  # 400 for an odd name, 404 for an unknown model
        return response.json(context.evaluations.get(name))
