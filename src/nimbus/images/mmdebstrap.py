"""Running mmdebstrap for a recipe: the package part of an image build.

mmdebstrap runs in unshare mode: as root that keeps real ownership but puts its
/proc, /sys and /dev mounts in a private mount namespace, so a build that dies never
leaves mounts inside the tree we then delete.

Downloaded .debs are kept between builds: a setup hook hard-links the cache into the
new tree's apt archive, and nothing cleans the archive, so the caller can move the
.debs back afterwards (see ``apt_cache``).
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from nimbus.images.errors import ImageBuildError
from nimbus.images.recipe import Recipe

MERGED_USR_HOOKS = Path("/usr/share/mmdebstrap/hooks/merged-usr")
# The recipe's build-time apt preferences; removed once the packages are in.
BUILD_PREFERENCES = "etc/apt/preferences.d/nimbus-build"
ERROR_LINES = 25

# Hook scripts read their inputs from the environment: no quoting of paths into sh.
_LOAD_CACHE = (
    'mkdir -p "$1/var/cache/apt/archives" && '
    'cp -al "$NIMBUS_APT_ARCHIVES/." "$1/var/cache/apt/archives/"'
)
_PIN_PACKAGES = (
    'mkdir -p "$1/etc/apt/preferences.d" && '
    'printf "%s" "$NIMBUS_APT_PREFERENCES" > "$1/$NIMBUS_APT_PREFERENCES_PATH"'
)


def command(recipe: Recipe, target: Path) -> list[str]:
    return [
        "mmdebstrap",
        "--verbose",
        "--mode=unshare",
        "--format=directory",
        f"--variant={recipe.variant}",
        f"--architectures={recipe.architecture}",
        f"--include={','.join(recipe.packages)}",
        *(f"--dpkgopt={option}" for option in recipe.dpkg_options),
        "--skip=essential/unlink,cleanup/apt/cache",
        f"--setup-hook={_LOAD_CACHE}",
        f"--setup-hook={_PIN_PACKAGES}",
        f"--hook-dir={MERGED_USR_HOOKS}",
        recipe.suite,
        str(target),
        *recipe.sources,
    ]


def environment(recipe: Recipe, apt_archives: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LC_ALL": "C.UTF-8",
        "NIMBUS_APT_ARCHIVES": str(apt_archives),
        "NIMBUS_APT_PREFERENCES": recipe.build_apt_preferences,
        "NIMBUS_APT_PREFERENCES_PATH": BUILD_PREFERENCES,
    }


def run(
    recipe: Recipe,
    target: Path,
    apt_archives: Path,
    on_line: Callable[[str], None],
) -> None:
    """Install the recipe's packages into the empty directory ``target``."""
    tail: collections.deque[str] = collections.deque(maxlen=ERROR_LINES)
    with _start(recipe, target, apt_archives) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                tail.append(line.rstrip())
                on_line(line)
            status = process.wait()
        except BaseException:
            # Its apt and dpkg run in namespaces of their own, but in its process group.
            os.killpg(process.pid, signal.SIGKILL)
            raise
    if status != 0:
        output = "\n".join(tail)
        raise ImageBuildError(f"mmdebstrap failed with exit status {status}:\n{output}")
    (target / BUILD_PREFERENCES).unlink(missing_ok=True)


def _start(recipe: Recipe, target: Path, apt_archives: Path) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(
            command(recipe, target),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment(recipe, apt_archives),
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as error:
        raise ImageBuildError("mmdebstrap is not installed (scripts/setup installs it)") from error
