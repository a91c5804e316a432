"""The files that make an image this instance, written into its overlay's upper layer
(its boot disk's) before the first boot: name, hosts, resolver, environment, machine id.

A boot disk may have been another instance's, so its upper layer is the guest's to have
filled: nothing in it is followed. Every path is walked one directory at a time without
following symlinks, and whatever is in the way (a symlink, a file, a whiteout) is
replaced, as a fresh upper layer would hide the image's. Directories we create take
their owner and mode from the image's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
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
        # Written even when empty: it replaces what a disk's previous instance had.
        ENVIRONMENT_DROP_IN: default_environment(spec.environment),
    }
    if spec.nameservers:
        files["etc/resolv.conf"] = resolv_conf(spec.nameservers, spec.search_domains)
    top = os.open(upper, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for relative, text in files.items():
            parent = _open_parents(top, lower, Path(relative).parent)
            try:
                _replace_file(parent, Path(relative).name, text)
            finally:
                os.close(parent)
    finally:
        os.close(top)


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


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_parents(top: int, lower: Path, relative: Path) -> int:
    """A descriptor of ``relative`` under ``top``, made as needed."""
    current = os.dup(top)
    walked = Path()
    for part in relative.parts:
        walked /= part
        try:
            child = os.open(part, _DIRECTORY, dir_fd=current)
        except FileNotFoundError:
            child = _make_directory(current, part, lower / walked)
        except OSError as error:
            if error.errno not in (errno.ENOTDIR, errno.ELOOP):
                os.close(current)
                raise
            os.unlink(part, dir_fd=current)  # not a directory: out of the way
            child = _make_directory(current, part, lower / walked)
        os.close(current)
        current = child
    return current


def _make_directory(parent: int, name: str, model: Path) -> int:
    os.mkdir(name, 0o700, dir_fd=parent)
    made = os.open(name, _DIRECTORY, dir_fd=parent)
    try:
        info = model.lstat()
    except OSError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        os.fchown(made, info.st_uid, info.st_gid)
        os.fchmod(made, info.st_mode & 0o7777)
    else:
        os.fchmod(made, 0o755)
    return made


def _replace_file(parent: int, name: str, text: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o644, dir_fd=parent)
    with os.fdopen(fd, "w") as file:
        file.write(text)
        os.fchmod(fd, 0o644)
