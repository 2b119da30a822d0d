"""Headless Debian Chromium, driven by Playwright."""

import os
import shutil
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A phone: the portal is used on a borrowed one.
PHONE = {"width": 360, "height": 740}


def launch(playwright):
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make test` installs it."
    return playwright.chromium.launch(executable_path=executable, args=FLAGS)


def screenshot_dir(tmp_path):
    """SCREENSHOT_DIR=docs/screenshots keeps them; otherwise they go to a temporary folder."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
