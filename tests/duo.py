"""The real duo_client, pointed at the portal as an application would point it."""

import duo_client


def auth_client(url, ikey, skey, **options):
    """duo_client.Auth over plain HTTP to a live server at `url` (http://127.0.0.1:port)."""
    port = int(url.rsplit(":", 1)[1])
    # duo_client takes a bare host name and the port apart; "localhost" is what
    # it signs for, and what the portal checks without PORTAL_API_HOSTNAME.
    return duo_client.Auth(ikey, skey, "localhost", port=port, ca_certs="HTTP", **options)


def refusal(call):
    """Run a duo_client call that must fail; return (HTTP status, Duo's error body)."""
    try:
        call()
    except RuntimeError as error:
        return error.status, error.data
    raise AssertionError("the call succeeded")
