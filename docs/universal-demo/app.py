"""A small web application that signs people in through the portal's Universal Prompt.

It does what any application using Duo's Web SDK v4 does, with Duo's own
`duo_universal` client, unchanged: the portal is only its "Duo host". Shaped
after duo_universal_python's demo/app.py, without Flask.

    DUO_CLIENT_ID=DI... DUO_CLIENT_SECRET=... DUO_API_HOST=localhost:8443 \
    DUO_CERTS=.universal-demo/cert.pem python docs/universal-demo/app.py

`make universal-demo` starts it with the portal; see docs/universal-prompt.md.
"""

import html
import json
import os
import secrets
import sys
from http.cookies import SimpleCookie
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server

import duo_universal

PORT = int(os.environ.get("DEMO_PORT") or 8080)
REDIRECT_URI = f"http://127.0.0.1:{PORT}/duo-callback"
# Its own cookie name: cookies ignore ports, and the portal (`make run`) is on 127.0.0.1 too.
COOKIE = "universal_demo"

duo = duo_universal.Client(
    client_id=os.environ["DUO_CLIENT_ID"],
    client_secret=os.environ["DUO_CLIENT_SECRET"],
    host=os.environ.get("DUO_API_HOST") or "localhost:8443",
    redirect_uri=REDIRECT_URI,
    # The portal's self-signed certificate (a CA bundle path); Duo's pinned CAs otherwise.
    duo_certs=os.environ.get("DUO_CERTS") or None,
)
# Who is signing in, by browser: {cookie: {"state": ..., "username": ...}}. A real
# application keeps this in its own session.
SESSIONS = {}


def page(title, body, status="200 OK", headers=()):
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body {{ font-family: sans-serif; margin: 1rem; }} pre {{ white-space: pre-wrap; }}</style>
</head>
<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""
    return status, [("Content-Type", "text/html; charset=utf-8"), *headers], text


def home(environ, session):
    return page(
        "Universal Prompt demo",
        """<p>A web application that sends people to the DUO Self-Service Portal for their
second factor, as it would send them to Duo.</p>
<form method="post" action="/login">
  <label for="username">Username</label>
  <input id="username" name="username" value="alice@example.edu" autocomplete="username">
  <button type="submit">Sign in</button>
</form>""",
    )


def login(environ, session):
    form = parse_qs(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode())
    username = form.get("username", [""])[0].strip()
    # The first factor (a password, say) would be checked here; this demo skips it.
    try:
        duo.health_check()
    except duo_universal.DuoException as error:
        return page("The portal cannot be reached", f"<pre>{html.escape(str(error))}</pre>")
    session.update(state=duo.generate_state(), username=username)
    return "302 Found", [("Location", duo.create_auth_url(username, session["state"]))], ""


def callback(environ, session):
    query = {name: values[0] for name, values in parse_qs(environ["QUERY_STRING"]).items()}
    # The state must be the one this browser was sent away with.
    if not session.get("state") or query.get("state") != session.pop("state"):
        return page("Unexpected answer", "<p>The state does not match.</p>", "400 Bad Request")
    if "error" in query:
        detail = html.escape(f"{query['error']}: {query.get('error_description', '')}")
        return page("Not signed in", f"<p>{detail}</p><p><a href='/'>Try again</a></p>")
    try:
        token = duo.exchange_authorization_code_for_2fa_result(
            query.get("duo_code", ""), session["username"]
        )
    except duo_universal.DuoException as error:
        return page("Not signed in", f"<pre>{html.escape(str(error))}</pre>")
    result = token["auth_result"]["status"]
    claims = html.escape(json.dumps(token, indent=2))
    return page(
        f"Signed in as {token['preferred_username']}" if result == "allow" else "Not signed in",
        f"<p>auth_result: <strong>{html.escape(result)}</strong></p>"
        f"<p>The id_token's claims, checked by duo_universal:</p><pre>{claims}</pre>"
        "<p><a href='/'>Sign in again</a></p>",
    )


ROUTES = {("GET", "/"): home, ("POST", "/login"): login, ("GET", "/duo-callback"): callback}


def application(environ, start_response):
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", "")).get(COOKIE)
    key = cookie.value if cookie and cookie.value in SESSIONS else secrets.token_urlsafe(16)
    session = SESSIONS.setdefault(key, {})
    view = ROUTES.get((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
    if view is None:
        status, headers, body = page("Not found", "", "404 Not Found")
    else:
        status, headers, body = view(environ, session)
    headers.append(("Set-Cookie", f"{COOKIE}={key}; HttpOnly; SameSite=Lax; Path=/"))
    start_response(status, headers)
    return [body.encode()]


if __name__ == "__main__":
    print(f"Demo application: http://127.0.0.1:{PORT}/", file=sys.stderr, flush=True)
    make_server("127.0.0.1", PORT, application).serve_forever()
