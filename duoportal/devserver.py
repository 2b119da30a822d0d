"""`make run`: the portal and the development identity provider, side by side.

The portal signs people in through the provider with real back-channel HTTP
calls (token exchange, Graph's /me), so the two run as separate processes: a
single server calling itself would deadlock. Ctrl-C or one SIGTERM stops both.

`DUO=dev make run` also starts the development stand-in for Duo on DEVDUO_PORT
(PORT + 2 unless given), with the demo people as Duo users, and runs the
portal in Duo account mode against it (docs/duo-account.md).
"""

import json
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
    # Started before the portal, so the portal's runserver is the last server below.
    servers = [(idp, idp_env, idp_port, "--noreload")]
    mode = os.environ.get("DUO", "")
    if mode == "dev":
        devduo_port = int(os.environ.get("DEVDUO_PORT") or port + 2)
        devduo_env = {**env, "DJANGO_SETTINGS_MODULE": "duoapi.devduo.settings"}
        step([*idp, "migrate", "--noinput", "-v", "0"], devduo_env)
        portal_settings = subprocess.run(
            [*idp, "devduo_setup", "-", "--portal-settings", f"localhost:{devduo_port}"],
            env=devduo_env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            input=people,
            text=True,
        ).stdout
        env.update(json.loads(portal_settings))
        servers.append((idp, devduo_env, devduo_port, "--noreload"))
    elif mode:
        sys.exit(f"DUO={mode}: the only choice is DUO=dev (the development stand-in for Duo).")
    servers.append((portal, env, port, None))

    print(f"\nPortal:                         http://127.0.0.1:{port}/")
    print(f"Development identity provider:  http://127.0.0.1:{idp_port}/")
    if mode:
        print(f"Development stand-in for Duo:   http://127.0.0.1:{devduo_port}/devduo/control")
        print("The portal runs in Duo account mode against the stand-in.")
    print(flush=True)

    # Each server in its own process group, so stopping one stops its reloader too.
    servers = [
        subprocess.Popen(
            [*command, "runserver", f"127.0.0.1:{server_port}", *filter(None, [reload])],
            env=environment,
            cwd=ROOT,
            start_new_session=True,
        )
        for command, environment, server_port, reload in servers
    ]

    def stop(*_):
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The stand-in for Duo may be stopped alone (to see the portal without Duo);
    # when the portal or the identity provider ends, the rest end too.
    needed = {servers[0].pid, servers[-1].pid}
    try:
        while os.wait()[0] not in needed:
            print("The stand-in for Duo stopped; the portal goes on without Duo.", flush=True)
    except ChildProcessError:
        pass
    except InterruptedError:
        pass
    stop()
    for server in servers:
        server.wait()


if __name__ == "__main__":
    main()
