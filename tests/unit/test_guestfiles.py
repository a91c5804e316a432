"""Guest files land in the upper layer and nowhere else, even in a used boot disk whose
upper layer the guest filled with symlinks."""

from __future__ import annotations

from pathlib import Path

from nimbus.runtime import bundlespec, guestfiles
from nimbus.runtime.driver import DiskAttachment, InstanceSpec


def spec(**fields: object) -> InstanceSpec:
    return InstanceSpec(
        instance_id="1",
        hostname="vm-1.europe-west1-b.c.demo.internal",
        vcpus=1,
        memory_mb=512,
        image_root=Path("/nonexistent/image"),
        **fields,  # type: ignore[arg-type]
    )


def test_writes_into_a_fresh_upper_layer(tmp_path: Path) -> None:
    upper, lower = tmp_path / "upper", tmp_path / "lower"
    upper.mkdir()
    (lower / "etc").mkdir(parents=True)
    (lower / "etc").chmod(0o751)
    guestfiles.write(spec(nameservers=("10.0.0.2",)), upper, lower)
    assert (upper / "etc" / "hostname").read_text() == "vm-1\n"
    assert (upper / "etc" / "resolv.conf").read_text() == "nameserver 10.0.0.2\n"
    assert (upper / "etc").stat().st_mode & 0o777 == 0o751  # as the image's
    assert (upper / guestfiles.ENVIRONMENT_DROP_IN).read_text() == "[Manager]\n\n"


def test_never_follows_what_the_guest_left(tmp_path: Path) -> None:
    upper, outside = tmp_path / "upper", tmp_path / "outside"
    (upper / "etc").mkdir(parents=True)
    outside.mkdir()
    (outside / "precious").write_text("host data\n")
    (upper / "etc" / "hostname").symlink_to(outside / "precious")
    (upper / "etc" / "systemd").symlink_to(outside)
    guestfiles.write(spec(environment={"A": "1"}), upper, upper)
    assert (outside / "precious").read_text() == "host data\n"
    assert sorted(p.name for p in outside.iterdir()) == ["precious"]
    assert not (upper / "etc" / "hostname").is_symlink()
    assert (upper / "etc" / "hostname").read_text() == "vm-1\n"
    assert (upper / "etc" / "systemd").is_dir() and not (upper / "etc" / "systemd").is_symlink()
    assert "A=1" in (upper / guestfiles.ENVIRONMENT_DROP_IN).read_text()

    (upper / "etc").rename(tmp_path / "old-etc")
    (upper / "etc").symlink_to(outside)
    guestfiles.write(spec(), upper, upper)
    assert sorted(p.name for p in outside.iterdir()) == ["precious"]
    assert (upper / "etc" / "hostname").read_text() == "vm-1\n"


def test_the_bundle_keeps_the_spec_and_its_disks(tmp_path: Path) -> None:
    disks = (
        DiskAttachment("boot", Path("/d/boot.ext4"), boot=True, image_root=Path("/images/x")),
        DiskAttachment("data", Path("/d/data.ext4"), read_only=True),
    )
    original = spec(disks=disks, cpus=(0, 1), hosts={"10.0.0.3": "peer"}, nameservers=("1.1.1.1",))
    bundlespec.save(tmp_path / "spec.json", original)
    assert bundlespec.load(tmp_path / "spec.json") == original
