"""The debian-12 image: Debian bookworm as a system container that boots to sshd fast.

Instances are runc containers with systemd as init, their network configured from
outside and their console a log, so everything that sets up hardware, the network,
terminals or periodic maintenance is masked.
"""

from __future__ import annotations

import functools
import subprocess

from nimbus.images.guest_payload import GuestPayload
from nimbus.images.recipe import ImageFile, Recipe

IMAGE_NAME = "debian-12"
SUITE = "bookworm"
SOURCES = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "curl",
    "sudo",
    "ca-certificates",
    "iproute2",
    "iputils-ping",
    "procps",
    "less",
    "netbase",
)
DPKG_OPTIONS = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
)
# bookworm's init-system-helpers depends on "usrmerge | usr-is-merged"; usrmerge drags
# in perl. The tree is merged from the start (mmdebstrap's merged-usr hook), so the
# empty usr-is-merged is all that is needed.
BUILD_APT_PREFERENCES = "Package: usrmerge\nPin: release *\nPin-Priority: -1\n"
SUDO_GROUP = "google-sudoers"

MASKED_UNITS = (
    # Periodic maintenance: it would wake every idle instance.
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "dpkg-db-backup.timer",
    "e2scrub_all.timer",
    "e2scrub_reap.service",
    "fstrim.timer",
    "logrotate.timer",
    "man-db.timer",
    # Hardware and kernel setup: the host owns them.
    "systemd-udevd.service",
    "systemd-udevd-control.socket",
    "systemd-udevd-kernel.socket",
    "systemd-udev-trigger.service",
    "systemd-udev-settle.service",
    "systemd-hwdb-update.service",
    "systemd-modules-load.service",
    "kmod-static-nodes.service",
    "systemd-remount-fs.service",
    "systemd-pstore.service",
    "systemd-binfmt.service",
    "proc-sys-fs-binfmt_misc.automount",
    "sys-kernel-config.mount",
    "sys-kernel-debug.mount",
    "sys-kernel-tracing.mount",
    "sys-fs-fuse-connections.mount",
    "dev-hugepages.mount",
    "systemd-journald-audit.socket",
    "systemd-timesyncd.service",
    "systemd-firstboot.service",
    # The network namespace is configured from outside.
    "systemd-networkd.service",
    "systemd-networkd.socket",
    "systemd-networkd-wait-online.service",
    "systemd-network-generator.service",
    "systemd-resolved.service",
    # Nobody to ask for a password: the console is a log.
    "systemd-ask-password-wall.path",
    # No terminals: the console is a log.
    "getty.target",
    "getty@.service",
    "getty-static.service",
    "serial-getty@.service",
    "console-getty.service",
    "container-getty@.service",
)

# Generators run at every boot before any unit starts; these have nothing to do in a
# container (no kernel command line, block devices, fstab mounts or terminals). The
# SysV and rc.local ones stay for software that still ships init scripts.
MASKED_GENERATORS = (
    "systemd-cryptsetup-generator",
    "systemd-debug-generator",
    "systemd-fstab-generator",
    "systemd-getty-generator",
    "systemd-gpt-auto-generator",
    "systemd-hibernate-resume-generator",
    "systemd-integritysetup-generator",
    "systemd-run-generator",
    "systemd-system-update-generator",
    "systemd-veritysetup-generator",
)

# Started on demand instead of at boot: nothing at boot needs the bus, and without
# libpam-systemd ssh logins never talk to logind. Both still come up when a tool asks
# (hostnamectl, loginctl, and "reboot", which asks logind first). Measured: 20-30 ms
# less to sshd on two cores, logins no slower. Masking logind would make "reboot"
# print errors before it falls back to systemd.
UNWANTED = (
    "multi-user.target.wants/dbus.service",
    "multi-user.target.wants/systemd-logind.service",
)

SSHD_CONFIG = b"""\
# Key logins only, and no reverse DNS lookup to delay each connection.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
"""

HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
_MAKE_HOST_KEY = f'test -s {HOST_KEY} || exec /usr/bin/ssh-keygen -q -t ed25519 -N "" -f {HOST_KEY}'
# Every instance makes its own host key on first boot: ed25519 only (RSA takes 0.25 s).
# Debian's "sshd -t" check goes too: 20 ms at every boot, and sshd checks anyway.
SSH_HOST_KEY_DROP_IN = f"""\
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c '{_MAKE_HOST_KEY}'
""".encode()

SUDOERS = f"%{SUDO_GROUP} ALL=(ALL:ALL) NOPASSWD:ALL\n".encode()

# No locales package: C.UTF-8 is built into libc, and pam_env complains without this.
LOCALE = b"LANG=C.UTF-8\n"

FILES = (
    ImageFile("/etc/ssh/sshd_config.d/nimbus.conf", SSHD_CONFIG),
    # "zz-": read after any other drop-in that sets ExecStartPre, so this one decides.
    ImageFile("/etc/systemd/system/ssh.service.d/nimbus-host-key.conf", SSH_HOST_KEY_DROP_IN),
    ImageFile("/etc/sudoers.d/google_sudoers", SUDOERS, 0o440),
    ImageFile("/etc/default/locale", LOCALE),
)

REMOVED = (
    # Made by openssh-server's installation: they would be shared by every instance.
    "/etc/ssh/ssh_host_*",
    # Copied from the build host; the runtime writes the instance's own.
    "/etc/hostname",
    "/etc/resolv.conf",
)


def debian_recipe(guest: GuestPayload) -> Recipe:
    return Recipe(
        suite=SUITE,
        architecture=host_architecture(),
        sources=SOURCES,
        variant="apt",
        packages=PACKAGES,
        dpkg_options=DPKG_OPTIONS,
        build_apt_preferences=BUILD_APT_PREFERENCES,
        files=FILES + guest.files,
        removed=REMOVED,
        groups=(SUDO_GROUP,),
        masked_units=MASKED_UNITS,
        masked_generators=MASKED_GENERATORS,
        unwanted=UNWANTED,
        enabled_units=guest.units,
        default_target="multi-user.target",
    )


@functools.cache
def host_architecture() -> str:
    """Debian's name for this machine's architecture (images are built natively)."""
    result = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()
