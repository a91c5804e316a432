"""Properties, as gcloud names them, kept in an INI file in the config directory.

The directory is ``$NIMBUS_CONFIG_DIR``, else the user's config home
(``~/.config/nimbus``). Like gcloud, properties live in
``configurations/config_<name>`` (``default`` unless ``active_config`` names another),
one ``[section]`` per group: ``project`` is ``core/project``, ``compute/zone`` is
``compute/zone``.
"""

from __future__ import annotations

import configparser
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from nimbus.cli.failures import CliError
from nimbus.cli.files import PUBLIC, write_atomically

CONFIG_DIR_ENV = "NIMBUS_CONFIG_DIR"
DEFAULT_CONFIGURATION = "default"
CORE = "core"


def config_dir() -> Path:
    configured = os.environ.get(CONFIG_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_config_dir("nimbus", appauthor=False))


def _text(value: str) -> str:
    return value


def _endpoint(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise CliError(f"The endpoint [{value}] must be an http:// or https:// URL.")
    return value.rstrip("/")


def _boolean(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return "True"
    if lowered in ("0", "false", "no", "off"):
        return "False"
    raise CliError(f"The value [{value}] is not valid: expected true or false.")


@dataclass(frozen=True)
class Property:
    section: str
    name: str
    help: str
    parse: Callable[[str], str] = _text

    @property
    def key(self) -> str:
        return f"{self.section}/{self.name}"


PROJECT = Property(CORE, "project", "The project commands act on when --project is not given.")
ACCOUNT = Property(CORE, "account", "The account whose credentials commands use.")
ENDPOINT = Property(CORE, "endpoint", "The URL of the Nimbus API.", _endpoint)
DISABLE_PROMPTS = Property(
    CORE, "disable_prompts", "Answer every prompt with its default, as --quiet.", _boolean
)
ZONE = Property("compute", "zone", "The zone zonal compute commands use by default.")
REGION = Property("compute", "region", "The region regional compute commands use by default.")

PROPERTIES = {p.key: p for p in (ACCOUNT, DISABLE_PROMPTS, ENDPOINT, PROJECT, REGION, ZONE)}
SECTIONS = sorted({p.section for p in PROPERTIES.values()})


def find_property(name: str) -> Property:
    """``project`` or ``core/project``; an unknown name is an error, as in gcloud."""
    section, slash, prop = name.partition("/")
    if not slash:
        section, prop = CORE, name
    if section not in SECTIONS:
        raise CliError(f"Section [{section}] does not exist.")
    found = PROPERTIES.get(f"{section}/{prop}")
    if found is None:
        raise CliError(f"Section [{section}] has no property [{prop}].")
    return found


class Config:
    """The active configuration's properties, read once and written back on change."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.name = self._active_name()
        self.path = directory / "configurations" / f"config_{self.name}"
        self._parser = configparser.ConfigParser(interpolation=None)
        try:
            self._parser.read_string(self.path.read_text())
        except FileNotFoundError:
            pass
        except (OSError, configparser.Error) as exc:
            raise CliError(f"Unable to read the configuration [{self.path}]: {exc}") from exc

    def _active_name(self) -> str:
        try:
            name = (self.directory / "active_config").read_text().strip()
        except OSError:
            return DEFAULT_CONFIGURATION
        return name or DEFAULT_CONFIGURATION

    def get(self, prop: Property) -> str | None:
        value = self._parser.get(prop.section, prop.name, fallback=None)
        return value or None

    def set(self, prop: Property, value: str) -> None:
        if not self._parser.has_section(prop.section):
            self._parser.add_section(prop.section)
        self._parser.set(prop.section, prop.name, prop.parse(value))
        self._save()

    def unset(self, prop: Property) -> None:
        if not self._parser.has_option(prop.section, prop.name):
            return
        self._parser.remove_option(prop.section, prop.name)
        if not self._parser.items(prop.section):
            self._parser.remove_section(prop.section)
        self._save()

    def sections(self) -> dict[str, dict[str, str]]:
        """Every set property, by section, both in name order."""
        return {
            section: dict(sorted(self._parser.items(section)))
            for section in sorted(self._parser.sections())
            if self._parser.items(section)
        }

    def _save(self) -> None:
        text = io.StringIO()
        self._parser.write(text)
        write_atomically(self.path, text.getvalue(), PUBLIC)
