"""The files that make an image this instance, written into its overlay's upper layer
before the first boot: name, hosts, resolver, environment, machine id.

The upper layer is empty then, so nothing in it can be a symlink pointing out of the
instance; directories we create take their owner and mode from the image's.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

from nimbus.runtime.driver import BuildAborted, InstanceSpec
from nimbus.runtime.oci import short_hostname

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# systemd reads this drop-in as pid 1 and passes the variables to every service.
ENVIRONMENT_DROP_IN = "etc/systemd/system.conf.d/nimbus-environment.conf"


def validate(spec: InstanceSpec) -> None:
    """Refuse what cannot be written faithfully into the instance."""
    if not all(_LABEL.match(label) for label in spec.hostname.split(".")):
        raise BuildAborted(f"invalid hostname {spec.hostname!r}")
    for key, value in spec.environment.items():
        if not _VARIABLE.match(key) or "\n" in value or "\0" in value:
            raise BuildAborted(f"invalid environment variable {key!r}")
    for word in (*spec.nameservers, *spec.search_domains):
        if not word or any(c.isspace() for c in word):
            raise BuildAborted(f"invalid resolver entry {word!r}")
    for address, names in spec.hosts.items():
        if any(c.isspace() for c in address) or "\n" in names:
            raise BuildAborted(f"invalid hosts entry {address!r}")


def write(spec: InstanceSpec, upper: Path, lower: Path) -> None:
    files = {
        "etc/hostname": short_hostname(spec.hostname) + "\n",
        "etc/hosts": hosts(spec.hostname, spec.hosts),
        "etc/environment": "".join(f"{k}={v}\n" for k, v in spec.environment.items()),
        "etc/machine-id": uuid.uuid4().hex + "\n",
    }
    if spec.environment:
        files[ENVIRONMENT_DROP_IN] = default_environment(spec.environment)
    if spec.nameservers:
        files["etc/resolv.conf"] = resolv_conf(spec.nameservers, spec.search_domains)
    for relative, text in files.items():
        _make_parents(upper, lower, Path(relative).parent)
        target = upper / relative
        target.write_text(text)
        target.chmod(0o644)


def hosts(hostname: str, extra: Mapping[str, str]) -> str:
    lines = [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
    ]
    named = {name for names in extra.values() for name in names.split()}
    if hostname not in named:
        # Debian's convention when the instance's own address is not known here.
        lines.append(f"127.0.1.1\t{' '.join(dict.fromkeys([hostname, short_hostname(hostname)]))}")
    lines += [f"{address}\t{names}" for address, names in extra.items()]
    return "\n".join(lines) + "\n"


def resolv_conf(nameservers: tuple[str, ...], search: tuple[str, ...]) -> str:
    lines = [f"nameserver {server}" for server in nameservers]
    if search:
        lines.append(f"search {' '.join(search)}")
    return "\n".join(lines) + "\n"


def default_environment(environment: Mapping[str, str]) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"DefaultEnvironment={quoted(f'{k}={v}')}" for k, v in environment.items()]
    return "[Manager]\n" + "\n".join(lines) + "\n"


def _make_parents(upper: Path, lower: Path, relative: Path) -> None:
    for part in reversed([relative, *relative.parents][:-1]):
        made = upper / part
        if made.is_dir():
            continue
        made.mkdir()
        model = lower / part
        if model.is_dir() and not model.is_symlink():
            info = model.stat()
            os.chown(made, info.st_uid, info.st_gid)
            made.chmod(info.st_mode & 0o7777)
        else:
            made.chmod(0o755)
