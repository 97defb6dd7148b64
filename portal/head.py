"""HEAD answered wherever GET is (RFC 9110: a server that answers GET should answer HEAD).

FastAPI registers only the methods a route names, so `HEAD /` answered 405 and monitoring or
link checkers that probe with HEAD saw an error. The request runs as the GET it stands for
(same access rules, same headers, same audit lines: a HEAD on a list is counted as a view,
which errs on the side of the trail) and only the body is left out.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: HEAD runs the GET route and answers its status and headers only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                # Content-Length stays that of the GET (RFC 9110, 9.3.2); the body goes.
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
