"""What a command acts on and as whom, each setting from the first source that has it.

- endpoint: ``NIMBUS_ENDPOINT`` > ``core/endpoint`` > discovery > ``http://127.0.0.1:8080``
- credentials: ``--account`` (its stored credentials) > ``NIMBUS_CREDENTIALS`` (a key
  file) > ``core/account`` (its stored credentials) > discovery (the owner's key)
- project: ``--project`` > ``NIMBUS_PROJECT`` > ``core/project``

That is: flags, then the environment, then the configuration (``nimbus config``), then
discovery. Discovery serves the machine that runs ``nimbus up``: the server writes
``server.json`` in its data directory (``$NIMBUS_DATA_DIR``, else the user's data home)
naming its endpoint and the owner's key file, which is used when no account is active.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import typer

from nimbus.cli.arguments import GlobalFlags
from nimbus.cli.client import Api
from nimbus.cli.config import (
    ACCOUNT,
    DISABLE_PROMPTS,
    ENDPOINT,
    PROJECT,
    Config,
    Property,
    config_dir,
)
from nimbus.cli.credentials import CredentialStore, KeyFile
from nimbus.cli.failures import CliError
from nimbus.cli.tokens import Identity, TokenCache, TokenSource

ENDPOINT_ENV = "NIMBUS_ENDPOINT"
CREDENTIALS_ENV = "NIMBUS_CREDENTIALS"
PROJECT_ENV = "NIMBUS_PROJECT"
DATA_DIR_ENV = "NIMBUS_DATA_DIR"
DEFAULT_ENDPOINT = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Discovery:
    """What a local ``nimbus up`` announced in ``server.json``, if one did."""

    endpoint: str | None = None
    owner_key: Path | None = None

    @classmethod
    def read(cls) -> Discovery:
        try:
            info = json.loads((_data_dir() / "server.json").read_text())
        except (OSError, ValueError):
            return cls()
        if not isinstance(info, dict):
            return cls()
        endpoint, owner_key = info.get("endpoint"), info.get("owner_key")
        return cls(
            str(endpoint).rstrip("/") if endpoint else None,
            Path(owner_key) if owner_key else None,
        )

    def owner(self) -> KeyFile | None:
        if self.owner_key is None:
            return None
        try:
            return KeyFile.read(self.owner_key)
        except CliError:
            return None


def _data_dir() -> Path:
    """``$NIMBUS_DATA_DIR``, read here first: the server's settings are slower to import."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    from nimbus.settings import default_data_dir

    return default_data_dir()


class Context:
    def __init__(self, flags: GlobalFlags) -> None:
        self.flags = flags
        self.directory = config_dir()
        self.config = Config(self.directory)
        self.store = CredentialStore(self.directory)
        self.token_cache = TokenCache(self.directory)

    @cached_property
    def discovery(self) -> Discovery:
        return Discovery.read()

    @property
    def quiet(self) -> bool:
        return self.value(DISABLE_PROMPTS) == "True"

    @property
    def format(self) -> str | None:
        return self.flags.format

    def value(self, prop: Property) -> str | None:
        """A property as commands see it: its flag, else its variable, else the config."""
        overrides = {
            PROJECT: self.flags.project or os.environ.get(PROJECT_ENV),
            ACCOUNT: self.flags.account,
            ENDPOINT: os.environ.get(ENDPOINT_ENV),
            DISABLE_PROMPTS: "True" if self.flags.quiet else None,
        }
        return overrides.get(prop) or self.config.get(prop)

    def endpoint(self) -> str:
        configured = self.value(ENDPOINT)
        if configured:
            return configured.rstrip("/")
        return self.discovery.endpoint or DEFAULT_ENDPOINT

    def project(self) -> str:
        project = self.value(PROJECT)
        if not project:
            raise CliError(
                "The required property [project] is not currently set: pass --project, "
                "set NIMBUS_PROJECT, or run `nimbus config set project PROJECT_ID`."
            )
        return project

    def identity(self, account: str | None = None) -> Identity:
        named = account or self.flags.account
        if named:
            return self._stored(named)
        key_path = os.environ.get(CREDENTIALS_ENV)
        if key_path:
            key = KeyFile.read(Path(key_path).expanduser())
            return Identity(key.account, key)
        configured = self.config.get(ACCOUNT)
        if configured:
            return self._stored(configured)
        owner = self.discovery.owner()
        if owner is not None:
            return Identity(owner.account, owner)
        raise CliError(
            "You do not currently have an active account selected, and no `nimbus up` "
            f"announces itself in {_data_dir()}: start one with `nimbus up`, or run "
            "`nimbus auth activate-service-account --key-file=KEY_FILE`."
        )

    def _stored(self, account: str) -> Identity:
        key = self.store.load(account)
        if key is not None:
            return Identity(account, key)
        owner = self.discovery.owner()
        if owner is not None and owner.account == account:
            return Identity(account, owner)
        raise CliError(
            f"Your current active account [{account}] does not have any valid credentials: "
            "run `nimbus auth activate-service-account` or `nimbus auth login`."
        )

    def token_source(self, account: str | None = None) -> TokenSource:
        return TokenSource(self.identity(account), self.endpoint(), self.token_cache)

    def api(self) -> Api:
        return Api(self.endpoint(), self.token_source())


def context_of(ctx: typer.Context) -> Context:
    """The resolution context of a command, built once per invocation."""
    root = ctx.find_root()
    found = root.meta.get("nimbus.context")
    if isinstance(found, Context):
        return found
    flags = root.obj if isinstance(root.obj, GlobalFlags) else GlobalFlags()
    context = Context(flags)
    root.meta["nimbus.context"] = context
    return context
