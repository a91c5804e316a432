"""The debian-12 image built for real with mmdebstrap (from deb.debian.org), and its cache.

Needs root and mmdebstrap. The build goes to $NIMBUS_TEST_IMAGE_CACHE when set (kept
between sessions: later sessions find it built), else to a temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nimbus.guest.install import GUEST_UNITS, guest_files
from nimbus.images import debian_recipe
from nimbus.images.debian import ImageBuildError, ensure_debian_image, image_recipe_digest
from nimbus.images.debian_recipe import MASKED_GENERATORS, MASKED_UNITS, SUDO_GROUP, UNWANTED
from nimbus.images.rootpath import inside

pytestmark = pytest.mark.integration


@dataclass
class BuiltImage:
    rootfs: Path
    seconds: float
    reports: list[tuple[str, float]] = field(default_factory=list)

    @property
    def built_now(self) -> bool:
        return any(stage == "resolving" for stage, _ in self.reports)


@pytest.fixture(scope="session")
def debian_image(image_cache: Path) -> BuiltImage:
    assert shutil.which("mmdebstrap"), "mmdebstrap is not installed (scripts/setup installs it)"
    reports: list[tuple[str, float]] = []
    started = time.monotonic()
    rootfs = ensure_debian_image(image_cache, lambda *report: reports.append(report))
    return BuiltImage(rootfs, time.monotonic() - started, reports)


def test_the_image_has_what_instances_run(debian_image: BuiltImage) -> None:
    root = debian_image.rootfs
    assert root.name == "rootfs"
    assert root.parent.name == f"debian-12-{image_recipe_digest()[:12]}"
    init = inside(root, "/sbin/init")
    assert init.readlink().as_posix() == "/lib/systemd/systemd"
    assert inside(root, "/lib/systemd/systemd").is_file()
    for program in ("usr/bin/python3", "usr/sbin/sshd", "usr/bin/sudo", "usr/bin/curl",
                    "usr/sbin/ip", "usr/bin/ping", "usr/bin/ps", "usr/bin/less"):  # fmt: skip
        assert os.access(root / program, os.X_OK), program
    assert (root / "bin").readlink().as_posix() == "usr/bin"


def test_the_guest_agent_is_installed_and_enabled(debian_image: BuiltImage) -> None:
    root = debian_image.rootfs
    for guest_file in guest_files():
        installed = root / guest_file.path.lstrip("/")
        assert installed.read_bytes() == guest_file.content, guest_file.path
        assert stat.S_IMODE(installed.stat().st_mode) == guest_file.mode, guest_file.path
    wants = root / "etc/systemd/system/multi-user.target.wants"
    for unit in GUEST_UNITS:
        assert (wants / unit).is_symlink(), unit


def test_ssh_starts_with_a_fresh_ed25519_key(debian_image: BuiltImage) -> None:
    root = debian_image.rootfs
    assert list((root / "etc/ssh").glob("ssh_host_*")) == []
    assert (root / "etc/systemd/system/multi-user.target.wants/ssh.service").is_symlink()
    drop_ins = "".join(p.read_text() for p in (root / "etc/systemd/system/ssh.service.d").iterdir())
    assert "ssh-keygen -q -t ed25519" in drop_ins
    config = (root / "etc/ssh/sshd_config.d/nimbus.conf").read_text().splitlines()
    for line in ("HostKey /etc/ssh/ssh_host_ed25519_key", "PasswordAuthentication no",
                 "UseDNS no", "PermitRootLogin prohibit-password"):  # fmt: skip
        assert line in config


def test_the_sudo_group_needs_no_password(debian_image: BuiltImage) -> None:
    root = debian_image.rootfs
    groups = (root / "etc/group").read_text().splitlines()
    assert any(line.startswith(f"{SUDO_GROUP}:") for line in groups)
    sudoers = root / "etc/sudoers.d/google_sudoers"
    assert sudoers.read_text() == f"%{SUDO_GROUP} ALL=(ALL:ALL) NOPASSWD:ALL\n"
    assert stat.S_IMODE(sudoers.stat().st_mode) == 0o440
    check = subprocess.run(["chroot", str(root), "visudo", "--check", "--quiet"],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_useless_units_are_masked(debian_image: BuiltImage) -> None:
    units = debian_image.rootfs / "etc/systemd/system"
    for unit in MASKED_UNITS:
        assert (units / unit).readlink().as_posix() == "/dev/null", unit
    assert not list(units.glob("*.wants/getty@*"))
    assert not list(units.glob("timers.target.wants/apt-daily*"))
    assert (units / "default.target").readlink().name == "multi-user.target"
    for wants_link in UNWANTED:
        assert (units / wants_link).readlink().as_posix() == "/dev/null", wants_link
    generators = debian_image.rootfs / "etc/systemd/system-generators"
    for generator in MASKED_GENERATORS:
        assert (generators / generator).readlink().as_posix() == "/dev/null", generator


def test_nothing_of_the_build_is_left(debian_image: BuiltImage) -> None:
    root = debian_image.rootfs
    assert {p.name for p in (root / "var/lib/apt/lists").iterdir()} <= {"lock", "partial"}
    assert not list((root / "var/cache/apt").rglob("*.deb"))
    assert not list((root / "var/cache/apt").glob("*.bin"))
    assert not list((root / "etc/apt/preferences.d").iterdir())
    for host_file in ("etc/hostname", "etc/resolv.conf"):
        assert not (root / host_file).exists(), host_file
    assert not list((root / "usr/share/man").rglob("*.gz"))
    assert not list(root.parent.parent.glob(".build-*"))


def test_the_manifest_describes_the_build(debian_image: BuiltImage) -> None:
    manifest = json.loads((debian_image.rootfs.parent / "manifest.json").read_text())
    assert manifest["digest"] == image_recipe_digest()
    assert manifest["build_seconds"] > 0
    assert 50_000_000 < manifest["size_bytes"] < 400_000_000
    versions = {package["name"]: package["version"] for package in manifest["packages"]}
    assert {"systemd", "openssh-server", "python3", "dbus", "sudo"} <= versions.keys()
    # usrmerge would bring the whole of perl with it.
    assert "usrmerge" not in versions and "perl" not in versions


def test_progress_moves_forward_to_done(debian_image: BuiltImage) -> None:
    fractions = [fraction for _, fraction in debian_image.reports]
    assert fractions == sorted(fractions)
    assert debian_image.reports[-1] == ("done", 1.0)
    if debian_image.built_now:
        stages = list(dict.fromkeys(stage for stage, _ in debian_image.reports))
        assert stages == ["resolving", "downloading", "unpacking", "configuring",
                          "customizing", "done"]  # fmt: skip


def test_a_second_call_returns_the_built_image_at_once(
    debian_image: BuiltImage, image_cache: Path
) -> None:
    reports: list[tuple[str, float]] = []
    started = time.monotonic()

    rootfs = ensure_debian_image(image_cache, lambda *report: reports.append(report))

    assert time.monotonic() - started < 1.0
    assert rootfs == debian_image.rootfs
    assert reports == [("done", 1.0)]


BUILD = """
import sys
from pathlib import Path
from nimbus.images.debian import ensure_debian_image
print(ensure_debian_image(Path(sys.argv[1]), lambda stage, _: print(stage, flush=True)))
"""


def test_concurrent_builders_build_once(
    debian_image: BuiltImage, image_cache: Path, tmp_path: Path
) -> None:
    # A fresh cache whose .debs are already there: a build without downloads.
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copytree(image_cache / "apt-archives", cache / "apt-archives", copy_function=os.link)

    builders = [
        subprocess.Popen([sys.executable, "-c", BUILD, str(cache)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    try:
        outputs = [builder.communicate(timeout=240) for builder in builders]
    finally:
        for builder in builders:
            builder.kill()
            builder.wait()

    assert [builder.returncode for builder in builders] == [0, 0], outputs
    stages = [stdout.splitlines() for stdout, _ in outputs]
    assert stages[0][-1] == stages[1][-1] == str(cache / debian_image.rootfs.parent.name / "rootfs")
    assert sum("resolving" in lines for lines in stages) == 1
    assert sum("waiting for another build" in lines for lines in stages) == 1
    assert len(list(cache.glob("debian-12-*"))) == 1
    assert not list(cache.glob(".build-*"))
    shutil.rmtree(cache)  # 200 MB


def test_a_failed_build_says_why_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    suite = "nimbus-no-such-suite"
    monkeypatch.setattr(
        debian_recipe, "SOURCES", (f"deb http://deb.debian.org/debian {suite} main",)
    )

    with pytest.raises(ImageBuildError, match=suite) as failure:
        ensure_debian_image(tmp_path)

    assert "exit status" in str(failure.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt-archives", "debian-12.lock"]
