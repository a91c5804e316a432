"""A small seccomp filter: allow everything but what the kernel does not isolate.

Capabilities already fence off most of the host. What remains reachable by root in the
instance are kernel interfaces shared with the host (keyrings, BPF, perf, io_uring) and
user namespaces, in which a process regains every capability and so a far larger attack
surface. Those calls fail with EPERM, as in a VM that lacks them; systemd tolerates it.
"""

from __future__ import annotations

import errno
import platform
from typing import Any

CLONE_NEWUSER = 0x10000000

_SHARED_WITH_HOST = [
    "add_key",
    "keyctl",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "open_by_handle_at",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
]

_ARCHITECTURES = {
    "x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
}


def profile() -> dict[str, Any]:
    """The ``linux.seccomp`` section of an OCI config."""
    no_user_namespace = {
        "index": 0,
        "value": CLONE_NEWUSER,
        "valueTwo": CLONE_NEWUSER,
        "op": "SCMP_CMP_MASKED_EQ",
    }
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": _ARCHITECTURES.get(platform.machine(), []),
        "syscalls": [
            {"names": _SHARED_WITH_HOST, "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM},
            # clone3 passes its flags in memory, out of seccomp's sight: ENOSYS makes the
            # C library fall back to clone, whose flags the next rule can see.
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
            {
                "names": ["clone", "unshare"],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": errno.EPERM,
                "args": [no_user_namespace],
            },
        ],
    }
