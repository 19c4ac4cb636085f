"""The studio's tests start several Sanic apps in one process: Sanic's test
mode lets each re-apply its start-up rewrites to the original methods."""

from sanic import Sanic

Sanic.test_mode = True
