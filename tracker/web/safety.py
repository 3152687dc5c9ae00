"""What every response carries, and how much a request may send (pure ASGI
middleware: it sees the bytes before any parsing)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No script at all; styles only from our own stylesheet; forms post back to us;
# no framing; no referrer (the URL holds the unit's token).
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app, self.https = app, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"cache-control",) or static]
                headers += [
                    (b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
                    (b"x-robots-tag", b"noindex, nofollow"), (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if not static:  # every page is private to the link's holder
                    headers.append((b"cache-control", b"no-store"))
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(Exception):
    """The request body passed the limit (said by Content-Length or counted)."""


def body_limit(limit: int):
    """Middleware refusing a body over ``limit`` bytes: at once when Content-Length
    says so, else while it streams (the form parser then stops with BodyTooLarge)."""

    class BodyLimit:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            declared = dict(scope.get("headers", [])).get(b"content-length")
            too_big = declared is not None and declared.isdigit() and int(declared) > limit
            seen = 0

            async def counted() -> Message:
                nonlocal seen
                if too_big:
                    raise BodyTooLarge()
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise BodyTooLarge()
                return message

            await self.app(scope, counted, send)

    return BodyLimit
