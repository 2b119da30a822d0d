"""`make run`: the portal and the development identity provider, side by side.

The portal signs people in through the provider with real back-channel HTTP
calls (token exchange, Graph's /me), so the two run as separate processes: a
single server calling itself would deadlock. Ctrl-C or one SIGTERM stops both.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    port = int(os.environ.get("PORT") or 8000)
    idp_port = int(os.environ.get("IDP_PORT") or port + 1)
    env = {**os.environ, "PORT": str(port), "IDP_PORT": str(idp_port)}
    idp_env = {**env, "DJANGO_SETTINGS_MODULE": "duoportal.devidp.settings"}
    portal = [sys.executable, "manage.py"]
    idp = [sys.executable, "-m", "django"]

    def step(command, environment, **kwargs):
        subprocess.run(command, env=environment, cwd=ROOT, check=True, **kwargs)

    step([*portal, "migrate", "--noinput", "-v", "0"], env)
    people = subprocess.run(
        [*portal, "seed_demo", "--json"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    step([*idp, "migrate", "--noinput", "-v", "0"], idp_env)
    step([*idp, "devidp_setup", "-"], idp_env, input=people, text=True)
    step([*portal, "seed_demo"], env)
    print(f"\nPortal:                         http://127.0.0.1:{port}/")
    print(f"Development identity provider:  http://127.0.0.1:{idp_port}/\n", flush=True)

    # Each server in its own process group, so stopping one stops its reloader too.
    servers = [
        subprocess.Popen(
            [*idp, "runserver", f"127.0.0.1:{idp_port}", "--noreload"],
            env=idp_env,
            cwd=ROOT,
            start_new_session=True,
        ),
        subprocess.Popen(
            [*portal, "runserver", f"127.0.0.1:{port}"], env=env, cwd=ROOT, start_new_session=True
        ),
    ]

    def stop(*_):
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        os.wait()  # Until either server ends; then end the other.
    except ChildProcessError:
        pass
    except InterruptedError:
        pass
    stop()
    for server in servers:
        server.wait()


if __name__ == "__main__":
    main()
