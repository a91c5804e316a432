"""gcloud's dict-valued flags (``--disk name=D,mode=ro``): known keys, yes/no and modes."""

from __future__ import annotations

from nimbus.cli.failures import CliError
from nimbus.cli.flags import key_values

READ_WRITE = "READ_WRITE"
READ_ONLY = "READ_ONLY"
_MODES = {"rw": READ_WRITE, "ro": READ_ONLY}
_YES_NO = {"yes": True, "no": False}


def dict_arg(text: str, flag: str, keys: tuple[str, ...]) -> dict[str, str]:
    """``k=v,...`` whose keys are all among ``keys``."""
    pairs = key_values(text, flag)
    for key in pairs:
        if key not in keys:
            raise CliError(
                f"argument {flag}: valid keys are [{', '.join(sorted(keys))}]; received: {key}"
            )
    return pairs


def yes_no(pairs: dict[str, str], key: str, flag: str, *, default: bool) -> bool:
    value = pairs.get(key)
    if value is None:
        return default
    if value.lower() not in _YES_NO:
        raise CliError(f"Value for [{key}] in [{flag}] must be [yes] or [no], not [{value}].")
    return _YES_NO[value.lower()]


def disk_mode(value: str | None, flag: str, key: str = "mode") -> str:
    """``rw`` or ``ro`` (the default ``rw``) as the API's READ_WRITE or READ_ONLY."""
    if value is None:
        return READ_WRITE
    if value.lower() not in _MODES:
        raise CliError(f"Value for [{key}] in [{flag}] must be [rw] or [ro], not [{value}].")
    return _MODES[value.lower()]
