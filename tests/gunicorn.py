"""The portal under gunicorn, as production runs it, on the test database."""

import datetime
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.devsite import ROOT, free_port


def database_url(connection):
    """A DATABASE_URL for the database `connection` uses (the test database, in a test)."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    return f"postgres://{conf['USER']}@{conf['HOST']}:{conf['PORT']}/{conf['NAME']}"


def self_signed(directory, hostname="localhost"):
    """A certificate for `hostname` as a DNS subjectAltName, and its key: (cert path, key path).

    duo_client matches the host name against DNS names only, so an
    IP-address certificate would fail its check.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def gunicorn(
    database, *, workers=2, threads=4, certificate=None, env=None, app="duoportal.wsgi", output=None
):
    """Serve the portal (or the Duo stand-in, `app`) with gunicorn on a free port: its URL.

    Its log goes to `output` (a file), or where this process's goes.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads),
        "--log-level", "warning", "--no-control-socket",
    ]  # fmt: skip
    scheme = "http"
    if certificate:
        command += ["--certfile", str(certificate[0]), "--keyfile", str(certificate[1])]
        scheme = "https"
    environment = {**os.environ, "DATABASE_URL": database, **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)
    url = f"{scheme}://localhost:{port}"
    try:
        wait_until_up(url, process, certificate)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(url, process, certificate, path="/auth/v2/ping"):
    """Until `path` answers; the portal's /healthz answers even where HTTPS is required."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            verify = str(certificate[0]) if certificate else True
            requests.get(f"{url}{path}", timeout=2, verify=verify, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")
