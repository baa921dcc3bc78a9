"""The web server in front of the pages: two ASGI middlewares that app.py hands to Streamlit's
server (``st.App``), for what a page script cannot do.

- `VisitorCookie`: the visitor's token (visitors.py) travels only as an HttpOnly cookie that the
  server sets, on the page's WebSocket handshake. No script of the page can read it, and it is
  never written into the page, so neither a third-party script nor a saved page or a shared
  screenshot of the HTML gives it away. (A page script can only write a cookie that scripts can
  read, and Streamlit itself reads cookies but has no call to set one.)
- `QuietDisconnects`: a visitor who leaves mid-upload (a closed tab, a lost network) cuts the
  request's body off; Starlette raises ClientDisconnect in Streamlit's upload handler, which went
  to the server's log as a traceback. It is one line now: nobody is left to answer.

Plain ASGI (scope, receive, send): no import of Streamlit, and Starlette only for the exception's
class, so they are tested like the rest of the package.
"""
from __future__ import annotations

import sys

from . import visitors

COOKIE = "musegen_visitor"  # the visitor's secret token: who owns which runs and trainings
MAX_AGE = 365 * 24 * 3600  # a year; every visit sets it again
STREAM = "/_stcore/stream"  # Streamlit's WebSocket: each page's one connection (after any base path)


def request_cookies(headers) -> dict[str, str]:
    """The cookies of a request's ASGI headers, read as Starlette reads them for
    ``st.context.cookies``: "name=value" pairs split on ";", the last of a name wins."""
    found = {}
    for name, value in headers:
        if name.lower() != b"cookie":
            continue
        for chunk in value.decode("latin-1").split(";"):
            key, sep, val = chunk.partition("=")
            if sep:
                found[key.strip()] = val.strip()
    return found


def set_cookie_header(token: str, secure: bool) -> bytes:
    """HttpOnly: no page script reads it. SameSite=Strict: no other site's page sends it (the page's
    own WebSocket does, even when the visitor came by a link from elsewhere). Secure when the page
    came over HTTPS."""
    return (f"{COOKIE}={token}; Path=/; Max-Age={MAX_AGE}; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else "")).encode("latin-1")


def _came_over_https(scope, headers) -> bool:
    """Behind a TLS proxy (Streamlit Community Cloud) the server sees plain HTTP; the browser's
    Origin says where the page came from. A forged Origin only costs its sender the cookie: a browser
    keeps no Secure cookie from a plain-HTTP page."""
    origin = next((value for name, value in headers if name.lower() == b"origin"), b"")
    return scope.get("scheme") in ("https", "wss") or origin.lower().startswith(b"https://")


class VisitorCookie:
    """Each page's WebSocket handshake carries the visitor's cookie back, HttpOnly; a browser that
    has none (or a malformed one) gets a new token, and the page's session (``st.context.cookies``,
    read from this same handshake) sees it at once. Setting it on every connection refreshes its
    age, and turns a cookie an older version wrote with a script into an HttpOnly one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or not scope.get("path", "").endswith(STREAM):
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        token = request_cookies(headers).get(COOKIE)
        if not visitors.valid_token(token):
            token = visitors.new_token()
            # The session reads the handshake's headers: the new token joins them, last (it wins).
            headers.append((b"cookie", f"{COOKIE}={token}".encode()))
            scope = {**scope, "headers": headers}
        cookie = set_cookie_header(token, _came_over_https(scope, headers))

        async def send_with_cookie(message):
            if message["type"] == "websocket.accept":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class QuietDisconnects:
    """A request whose browser left before sending all of it (an upload cut off) ends with one line
    in the server's log instead of a traceback. Nothing was kept: Streamlit stores an upload only
    once its body has arrived whole."""

    def __init__(self, app):
        from starlette.requests import ClientDisconnect

        self.app, self.disconnect = app, ClientDisconnect

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except self.disconnect:
            # The route only (the session and file ids after it are left out of the log).
            route = "/".join(scope.get("path", "").split("/")[:3])
            print(f"musegen: a browser left before its request was whole ({scope.get('method')} {route}…); "
                  "nothing was kept", file=sys.stderr)
