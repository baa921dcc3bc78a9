"""Issue 24: the web server in front of the pages, spoken to as a browser would, over HTTP and the
page's WebSocket, against `streamlit run app.py` on localhost. The visitor's token is an HttpOnly
cookie the server sets, never in what the page receives; a visitor who leaves mid-upload leaves
one line in the log, not a traceback."""
from __future__ import annotations

import http.cookies
import os
import socket
import time
import urllib.request

import pytest

from app_fixtures import streamlit_app
from musegen.serve.visitors import new_token, owner_key, valid_token

COOKIE = "musegen_visitor"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("server-runs")
    env = {k: v for k, v in os.environ.items() if k != "MUSEGEN_SINGLE_USER"}
    env.update(MUSEGEN_RUNS=str(runs), MUSEGEN_BUNDLED_DIR=str(tmp_path_factory.mktemp("no-bundled")),
               MUSEGEN_WARM_DATASETS="0")
    log_path = tmp_path_factory.mktemp("server-log") / "streamlit.log"
    with open(log_path, "w+") as log, streamlit_app(env, log) as (url, port):
        yield url, port, runs, log_path


def set_cookies(headers: list[str]) -> dict[str, http.cookies.Morsel]:
    found = {}
    for header in headers:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        found.update(jar)
    return found


def open_page(url: str, cookie: str | None = None, then=None):
    """What a browser's page does: its WebSocket, then a run of the script, then `then(session id)`
    while the page is still open. Returns the cookies the server set on the connection, the raw
    Set-Cookie headers, the session id and every message the page received (bytes)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    headers = {"Origin": url, **({"Cookie": cookie} if cookie else {})}
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    with connect(ws_url, subprotocols=["streamlit"], additional_headers=headers, open_timeout=30) as ws:
        raw = ws.response.headers.get_all("Set-Cookie")
        back = BackMsg()
        back.rerun_script.query_string = ""
        ws.send(back.SerializeToString())
        received, session = [], None
        deadline = time.time() + 120
        while time.time() < deadline:
            data = ws.recv(timeout=120)
            received.append(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.HasField("new_session"):
                session = msg.new_session.initialize.session_id
            if msg.HasField("script_finished"):
                break
        if then is not None:
            then(session)
    return set_cookies(raw), raw, session, b"".join(received)


def test_the_visitor_cookie_is_set_by_the_server_httponly_and_never_reaches_the_page(server):
    url, _, runs, _ = server
    cookies, raw, _, page = open_page(url)
    assert COOKIE in cookies, f"the page's connection set no visitor cookie: {raw}"
    morsel = cookies[COOKIE]
    token = morsel.value
    assert valid_token(token)
    assert morsel["httponly"] is True and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert int(morsel["max-age"]) >= 30 * 24 * 3600
    assert not morsel["secure"]  # plain http on localhost: a Secure cookie would not be kept
    # The page holds neither the token nor a script that writes the cookie.
    assert token.encode() not in page and COOKIE.encode() not in page and b"document.cookie" not in page
    # The session that drew the page is that visitor: their kept session is filed under the token's hash.
    assert (runs / "visitors" / owner_key(token)).is_dir()

    # A reload carries the cookie: the same visitor, the same cookie (refreshed, still HttpOnly).
    again, _, _, _ = open_page(url, f"{COOKIE}={token}")
    assert again[COOKIE].value == token and again[COOKIE]["httponly"] is True

    # A cookie the server never saw but well formed is that visitor; a malformed one is replaced.
    other = new_token()
    assert open_page(url, f"{COOKIE}={other}")[0][COOKIE].value == other
    assert (runs / "visitors" / owner_key(other)).is_dir()
    fresh = open_page(url, f"{COOKIE}=../../etc; other=1")[0][COOKIE].value
    assert valid_token(fresh) and fresh not in (token, other)


def test_the_cookie_is_secure_when_the_page_came_over_https(server):
    url, _, _, _ = server
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    # Behind a TLS proxy the server sees plain HTTP; the browser's Origin says where the page came from.
    https = url.replace("http://", "https://")
    with connect(ws_url, subprotocols=["streamlit"], additional_headers={"Origin": https},
                 open_timeout=30) as ws:
        raw = ws.response.headers.get_all("Set-Cookie")
    assert set_cookies(raw)[COOKIE]["secure"] is True


def test_an_upload_cut_off_midway_leaves_one_line_in_the_log_and_the_server_serves_on(server):
    url, port, _, log_path = server
    health = urllib.request.urlopen(f"{url}/_stcore/health", timeout=10)
    xsrf = set_cookies(health.headers.get_all("Set-Cookie") or [])["_streamlit_xsrf"].value
    cookie = f"_streamlit_xsrf={xsrf}"

    def leave_mid_upload(session):
        body = (b'--XX\r\nContent-Disposition: form-data; name="file"; filename="tune.mid"\r\n'
                b"Content-Type: audio/midi\r\n\r\n" + b"M" * 4000)
        head = (f"PUT /_stcore/upload_file/{session}/file-1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 1000000\r\n"
                f"X-Xsrftoken: {xsrf}\r\nCookie: {cookie}\r\nOrigin: {url}\r\n\r\n").encode()
        before = log_path.read_text()
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(head + body)
            time.sleep(0.5)  # the server is reading the body when the visitor leaves
        deadline = time.time() + 10
        while time.time() < deadline and log_path.read_text() == before:
            time.sleep(0.2)
        time.sleep(0.5)
        added.append((session, log_path.read_text()[len(before):]))

    added = []
    open_page(url, cookie, then=leave_mid_upload)
    session, added = added[0]
    assert "Traceback" not in added and "ClientDisconnect" not in added, added
    lines = [line for line in added.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("musegen: a browser left") and session not in added, added
    assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=10).status == 200
