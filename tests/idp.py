"""The development identity provider, run for real in a subprocess, and a scripted browser.

The portal's token exchange and Graph call are back-channel HTTP requests, so
the provider runs in its own process on a free port, as `make run` runs it.
"""

import json
import re
from pathlib import Path

from duoportal.management.commands.seed_demo import DEMO_PEOPLE, PUBLIC_FIELDS
from tests.devsite import DevSite

TENANT = "devtenant"
PEOPLE = {p["username"]: {k: p[k] for k in PUBLIC_FIELDS} for p in DEMO_PEOPLE}
# Someone the portal has never heard of, to test a first sign-in.
PEOPLE["newton@example.edu"] = {
    "username": "newton@example.edu",
    "password": "newton-demo-2026",
    "display_name": "Newton Yip",
    "card_serial": "51001111",
    "role": "student",
}
# A person of another university, for the domain allow-list.
PEOPLE["mallory@elsewhere.example"] = {
    "username": "mallory@elsewhere.example",
    "password": "mallory-demo-2026",
    "display_name": "Mallory Outsider",
    "card_serial": "51002222",
    "role": "student",
}


class DevIdp(DevSite):
    settings = "duoportal.devidp.settings"
    name = "The development identity provider"

    def __init__(self, workdir):
        super().__init__(workdir, DEVIDP_DATABASE_PATH=str(Path(workdir) / "devidp.sqlite3"))

    def setup(self):
        super().setup()
        self.django("devidp_setup", "-", input=json.dumps(list(PEOPLE.values())))
        return self


def csrf_token(html):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(browser, portal_url, username, password=None, next_url=None):
    """Sign in the way a browser does: portal, provider's sign-in page, back to the portal.

    Returns the final response.
    """
    password = password or PEOPLE[username]["password"]
    page = browser.get(portal_url + "/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    to_idp = browser.post(
        portal_url + action.replace("&amp;", "&"),
        data={"csrfmiddlewaretoken": csrf_token(page.text)},
    )
    assert "/login/" in to_idp.url, to_idp.url
    return browser.post(
        to_idp.url,
        data={
            "csrfmiddlewaretoken": csrf_token(to_idp.text),
            "username": username,
            "password": password,
            "next": re.search(r'name="next" value="([^"]*)"', to_idp.text)
            .group(1)
            .replace("&amp;", "&"),
        },
    )
