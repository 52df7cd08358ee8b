"""The passphrase variables, taken out of the environment first thing. Its own module, free of
the database stack, so that the CLI can take them before it knows which command runs."""

from __future__ import annotations

import os

SECRET_ENV = ("ACCORD_PASSPHRASE", "ACCORD_NEW_PASSPHRASE")


def take_env_secrets() -> dict[str, str]:
    """Read the passphrase variables once and remove them from the environment, so that no
    child process (gpg, gpg-agent, import workers) inherits them."""
    return {name: os.environ.pop(name) for name in SECRET_ENV if name in os.environ}
