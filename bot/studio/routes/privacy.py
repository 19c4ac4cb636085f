"""A user's data on request (administrators only): their conversations,
memories and ratings as JSON, or all of them deleted. bot/privacy.py does the work; the same
is `python -m bot privacy export|delete` on the command line."""

from __future__ import annotations

import re

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.privacy import delete_conversations, export_conversations
from bot.studio.context import Studio
from bot.studio.http import Refused

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def add_routes(studio: Blueprint, context: Studio) -> None:
    async def administrator(request: Request, user: str) -> tuple[str, str]:
        identity = await context.trainer(request)
        if "administrator" not in identity.roles:
            raise Refused(403, "Only an administrator can export or delete a user's data.")
        if not USERNAME.match(user):
            raise Refused(400, "A user name is 1-64 letters, digits, '.', '_', '@' or '-'.")
        return identity.user, identity.company

    @studio.get("/studio/api/privacy/<user:str>")
    async def privacy_export(request: Request, user: str) -> HTTPResponse:
        admin, company = await administrator(request, user)
        # the action server refuses a user of another company before anything is read
        erp_data = await context.backend.personal_data(admin, company, user)
        body = await context.blocking(export_conversations, context.tracker_engine, user, company)
        body.update(erp_data)
        headers = {"Content-Disposition": f'attachment; filename="{user}-conversations.json"'}
        return response.json(body, headers=headers)

    @studio.delete("/studio/api/privacy/<user:str>")
    async def privacy_delete(request: Request, user: str) -> HTTPResponse:
        admin, company = await administrator(request, user)
        # the ERP side first: the action server refuses a user of another company
        erased = await context.backend.personal_data(admin, company, user, erase=True)
        conversations = await context.blocking(
            delete_conversations, context.tracker_engine, user, company
        )
        return response.json({"user": user, "conversations": conversations, **erased})
