"""`make universal-demo`: the portal over HTTPS for duo_universal, and the demo application.

duo_universal always speaks https, so this serves the portal a second time,
with gunicorn and a self-signed certificate for DNS:localhost, on the same
database as `make run` (which keeps serving the self-service screens over
plain HTTP). It makes the demo application's integration once, keeps its
keys and the certificate in .universal-demo/, and starts the application.
Ctrl-C stops both.
"""

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STATE = ROOT / ".universal-demo"
NAME = "Universal Prompt demo"
HTTPS_PORT = int(os.environ.get("HTTPS_PORT") or 8443)
DEMO_PORT = int(os.environ.get("DEMO_PORT") or 8080)
PORT = int(os.environ.get("PORT") or 8000)


def certificate():
    """A self-signed certificate for DNS:localhost (duo_universal checks the name): its paths."""
    cert, key = STATE / "cert.pem", STATE / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    return cert, key


def integration():
    """The demo application's client id and secret, made once and kept in .universal-demo/."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duoportal.settings")
    django.setup()
    from duoapi.models import Integration

    saved = STATE / "integration.json"
    known = Integration.objects.filter(name=NAME).first()
    if known and saved.exists():
        keys = json.loads(saved.read_text())
        if keys["ikey"] == known.ikey and keys["skey"] in known.secrets:
            return keys
    redirect_uri = f"http://127.0.0.1:{DEMO_PORT}/duo-callback"
    if known:
        # The keys were lost (or the database was reset to another one): new keys.
        secret = known.rotate_secret()
        known.retire_previous_secret()
        known.redirect_uris = redirect_uri
        known.save(update_fields=["redirect_uris"])
    else:
        known, secret = Integration.objects.create_integration(NAME, redirect_uris=redirect_uri)
    keys = {"ikey": known.ikey, "skey": secret}
    saved.write_text(json.dumps(keys))
    saved.chmod(0o600)
    return keys


def main():
    STATE.mkdir(exist_ok=True)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, check=True)
    cert, key = certificate()
    keys = integration()
    portal_env = {
        **os.environ,
        # The prompt's "Get a bypass code" leads to the portal of `make run`,
        # whose Microsoft 365 sign-in the development identity provider knows.
        "PORTAL_URL": f"http://127.0.0.1:{PORT}/",
    }
    demo_env = {
        **os.environ,
        "DUO_CLIENT_ID": keys["ikey"],
        "DUO_CLIENT_SECRET": keys["skey"],
        "DUO_API_HOST": f"localhost:{HTTPS_PORT}",
        "DUO_CERTS": str(cert),
        "DEMO_PORT": str(DEMO_PORT),
    }
    # gunicorn serves the portal and its static files (portal_https.py) over TLS.
    gunicorn = [
        python, "-m", "gunicorn", "portal_https:application",
        "--pythonpath", f"{HERE},{ROOT}",
        "--bind", f"127.0.0.1:{HTTPS_PORT}",
        "--certfile", str(cert), "--keyfile", str(key),
        "--workers", "2", "--threads", "4", "--graceful-timeout", "2",
    ]  # fmt: skip
    demo = [python, str(HERE / "app.py")]
    # Each in its own process group, so that stopping one stops all its workers.
    servers = [
        subprocess.Popen(gunicorn, cwd=ROOT, env=portal_env, start_new_session=True),
        subprocess.Popen(demo, cwd=ROOT, env=demo_env, start_new_session=True),
    ]
    print(
        f"\nPortal over HTTPS (the application's Duo host): https://localhost:{HTTPS_PORT}/\n"
        f"Demo application:                                 http://127.0.0.1:{DEMO_PORT}/\n"
        f"Self-service screens (`make run`, another terminal): http://127.0.0.1:{PORT}/\n"
        f"Integration {NAME!r}: client id {keys['ikey']}\n",
        flush=True,
    )

    def stop(*_):
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with contextlib.suppress(ChildProcessError, InterruptedError):
        os.wait()  # Until either ends; then end the other.
    stop()
    for server in servers:
        server.wait()


if __name__ == "__main__":
    main()
