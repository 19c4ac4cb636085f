from __future__ import annotations

from sanic import Blueprint

from bot.studio.context import Studio


def add_routes(studio: Blueprint, context: Studio) -> None:
    pass
