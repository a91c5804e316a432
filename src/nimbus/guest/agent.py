#!/usr/bin/python3
"""Nimbus guest agent: what Google's guest environment does inside a Compute Engine VM.

    agent.py daemon     accounts from ``ssh-keys`` metadata, followed by long polling;
                        host keys published as guest attributes
    agent.py startup    the ``startup-script`` / ``startup-script-url`` of this boot
    agent.py shutdown   the ``shutdown-script`` / ``shutdown-script-url``

It is copied into every image and runs on the guest's own python3, so it uses the
standard library only. Everything that touches the machine takes a filesystem root, a
command runner or a metadata client, so that tests can run it unprivileged.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

VERSION = "0.1.0"
METADATA_HOST = "169.254.169.254"
STORAGE_API = "https://storage.googleapis.com"
CONSOLE = Path("/dev/console")
SUDOERS_GROUP = "google-sudoers"
USERS_FILE = "var/lib/nimbus-guest/users"  # relative to the filesystem root
READY_ATTRIBUTE = "nimbus/agent-ready"
# Google's rule for names taken from ssh-keys; system accounts are refused separately.
USER_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
FIRST_USER_UID = 1000
NOBODY_UID = 65534

T = TypeVar("T")


class Log:
    """One line per event: plain to stdout, which the unit sends to the journal under
    Google's program name, and with a syslog prefix to the serial console, as the
    console of a Google image shows it."""

    def __init__(self, name: str, console: Path | None, out: TextIO | None = None):
        self.name = name
        self._console = console
        self._out = out if out is not None else sys.stdout
        self._fd: int | None = None
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        with self._lock:
            self._out.write(message + "\n")
            self._out.flush()
            stamp = time.strftime("%b %d %H:%M:%S")
            host = socket.gethostname().split(".")[0]
            self._to_console(f"{stamp} {host} {self.name}[{os.getpid()}]: {message}\n")

    def once(self, message: str) -> None:
        """Log a message the first time only (the daemon re-reads metadata every minute)."""
        if message not in self._seen:
            self._seen.add(message)
            self(message)

    def _to_console(self, line: str) -> None:
        if self._console is None:
            return
        try:
            if self._fd is None:
                # Non-blocking: a console nobody reads must drop lines, not hang the agent.
                flags = os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_NONBLOCK
                self._fd = os.open(self._console, flags)
            os.write(self._fd, line.encode(errors="replace"))
        except BlockingIOError:
            pass
        except OSError:
            self._console = None


# --- the metadata server -----------------------------------------------------------


class MetadataError(Exception):
    """The metadata server is unreachable or failing: worth retrying."""


class NotFound(Exception):
    """The metadata server has no such key (404)."""


class Metadata:
    """A client of the GCE metadata server (``Metadata-Flavor: Google``)."""

    def __init__(self, root: str, timeout: float = 10.0):
        self.root = root.rstrip("/") + "/"
        self.timeout = timeout
        # The metadata server is link-local: never through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(
        self,
        path: str,
        query: Mapping[str, str] | None = None,
        method: str = "GET",
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> tuple[bytes, str]:
        """The body and ETag of one call."""
        url = self.root + path + ("?" + urllib.parse.urlencode(query) if query else "")
        req = urllib.request.Request(url, data=body, method=method)
        req.add_header("Metadata-Flavor", "Google")
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as resp:
                return resp.read(), resp.headers.get("ETag", "")
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                raise NotFound(path) from None
            raise MetadataError(f"{method} {url}: HTTP {error.code}") from None
        except (OSError, http.client.HTTPException) as error:
            raise MetadataError(f"{method} {url}: {error}") from None

    def get_json(self, path: str = "") -> Any:
        return _json(self.request(path, {"recursive": "true", "alt": "json"})[0])

    def watch(self, last_etag: str | None, timeout_sec: int) -> tuple[dict[str, Any], str]:
        """The whole tree; with an ETag, once it differs from it (or after timeout_sec)."""
        query = {"recursive": "true", "alt": "json"}
        if last_etag:
            query |= {
                "wait_for_change": "true",
                "last_etag": last_etag,
                "timeout_sec": str(timeout_sec),
            }
        body, etag = self.request("", query, timeout=timeout_sec + self.timeout)
        doc = _json(body)
        if not isinstance(doc, dict):
            raise MetadataError("the metadata tree is not a JSON object")
        return doc, etag

    def put_guest_attribute(self, key: str, value: str) -> None:
        self.request(f"instance/guest-attributes/{key}", method="PUT", body=value.encode())

    def access_token(self) -> str | None:
        """The default service account's token, or None for an instance without one."""
        try:
            token = self.get_json("instance/service-accounts/default/token")
        except NotFound:
            return None
        return str(token.get("access_token") or "") or None if isinstance(token, dict) else None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as error:
        raise MetadataError(f"invalid JSON from the metadata server: {error}") from None


def metadata_root(env: Mapping[str, str]) -> str:
    # GCE_METADATA_HOST is the override google-auth and the gcloud tools honour.
    host = env.get("GCE_METADATA_HOST") or METADATA_HOST
    return f"http://{host}/computeMetadata/v1/"


def attributes(doc: Mapping[str, Any], scope: str) -> dict[str, str]:
    """``instance`` or ``project`` attributes of a recursive metadata tree."""
    attrs = (doc.get(scope) or {}).get("attributes") or {}
    return {str(k): str(v) for k, v in attrs.items()}


def retry(call: Callable[[], T], log: Log, patience: float, first_delay: float = 1.0) -> T:
    """Call until the metadata server answers; give up after ``patience`` seconds."""
    deadline = time.monotonic() + patience
    delay = first_delay
    while True:
        try:
            return call()
        except MetadataError as error:
            if time.monotonic() + delay > deadline:
                raise
            log.once(f"Metadata server not reachable, retrying: {error}")
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


# --- SSH keys ----------------------------------------------------------------------


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "t", "true"}


def key_lines(doc: Mapping[str, Any]) -> list[str]:
    """The ssh-keys lines that apply: the instance's, then the project's unless blocked.

    The legacy instance attribute ``sshKeys`` blocks project keys too, as on Google.
    """
    instance, project = attributes(doc, "instance"), attributes(doc, "project")
    lines = [*instance.get("ssh-keys", "").splitlines(), *instance.get("sshKeys", "").splitlines()]
    if not (_true(instance.get("block-project-ssh-keys")) or instance.get("sshKeys")):
        lines += project.get("ssh-keys", "").splitlines()
        lines += project.get("sshKeys", "").splitlines()
    return [line.strip() for line in lines if line.strip()]


def key_expired(key: str, now: datetime.datetime) -> bool:
    """Whether a ``google-ssh {"expireOn": ...}`` key has expired; ValueError if its
    comment is malformed (Google drops such keys)."""
    fields = key.split(None, 3)
    if len(fields) < 3 or fields[2] != "google-ssh":
        return False
    if len(fields) < 4:
        raise ValueError("google-ssh comment without expiry")
    info = json.loads(fields[3])
    if not isinstance(info, dict) or not isinstance(info.get("expireOn"), str):
        raise ValueError("google-ssh comment without expireOn")
    expires = datetime.datetime.strptime(info["expireOn"], "%Y-%m-%dT%H:%M:%S%z")
    return expires <= now


def user_keys(lines: Sequence[str], now: datetime.datetime, log: Log) -> dict[str, list[str]]:
    """``USER:KEYTYPE KEY [COMMENT]`` lines to each valid user's live keys, in order."""
    users: dict[str, list[str]] = {}
    for line in lines:
        user, sep, key = line.partition(":")
        key = key.strip()
        if not sep or len(key.split()) < 2:
            log.once(f"Invalid ssh key entry, ignoring: {line[:80]!r}")
            continue
        if not USER_NAME.fullmatch(user):
            log.once(f"Invalid user name {user!r} in ssh keys, ignoring its key.")
            continue
        try:
            if key_expired(key, now):
                continue
        except ValueError as error:
            log.once(f"Invalid ssh key entry for {user} ({error}), ignoring.")
            continue
        keys = users.setdefault(user, [])
        if key not in keys:
            keys.append(key)
    return users


# --- accounts ----------------------------------------------------------------------


@dataclass(frozen=True)
class PasswdEntry:
    name: str
    uid: int
    gid: int
    home: str


def read_passwd(root: Path) -> dict[str, PasswdEntry]:
    entries: dict[str, PasswdEntry] = {}
    for line in (root / "etc/passwd").read_text().splitlines():
        parts = line.split(":")
        if len(parts) >= 7 and parts[2].isdigit() and parts[3].isdigit():
            entries[parts[0]] = PasswdEntry(parts[0], int(parts[2]), int(parts[3]), parts[5])
    return entries


class CommandError(Exception):
    pass


Runner = Callable[[Sequence[str]], None]


def run_command(argv: Sequence[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise CommandError(f"{shlex.join(argv)}: exit {done.returncode}: {done.stderr.strip()}")


def write_authorized_keys(root: Path, user: PasswdEntry, keys: Sequence[str]) -> None:
    """Replace the user's authorized_keys atomically, owned by the user, 0600 in 0700.

    The home belongs to the user, so everything below it goes through directory
    descriptors opened with O_NOFOLLOW: swapping ~/.ssh for a link cannot make root
    write or chmod anything elsewhere.
    """
    temp, flags = ".authorized_keys.nimbus", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    home = os.open(root / user.home.lstrip("/"), os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(".ssh", 0o700, dir_fd=home)
        ssh = os.open(".ssh", flags, dir_fd=home)
        try:
            os.fchown(ssh, user.uid, user.gid)
            os.fchmod(ssh, 0o700)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=ssh)
            fd = os.open(
                temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=ssh
            )
            with os.fdopen(fd, "w") as file:
                file.write("".join(key + "\n" for key in keys))
                os.fchown(file.fileno(), user.uid, user.gid)
            os.rename(temp, "authorized_keys", src_dir_fd=ssh, dst_dir_fd=ssh)
        finally:
            os.close(ssh)
    finally:
        os.close(home)


class Accounts:
    """Local accounts that follow the keys in metadata, as Google's accounts manager:
    a user with keys exists, is in google-sudoers and has exactly those keys; a user
    whose keys are gone keeps the account but loses its keys and sudo."""

    def __init__(self, root: Path, run: Runner, log: Log):
        self.root = root
        self.run = run
        self.log = log
        self._applied: dict[str, list[str]] = {}

    def apply(self, wanted: Mapping[str, list[str]]) -> None:
        passwd = read_passwd(self.root)
        wanted = {user: keys for user, keys in wanted.items() if self._allowed(user, passwd)}
        managed = self._managed()
        before = set(managed)
        applied: dict[str, list[str]] = {}
        for user, keys in sorted(wanted.items()):
            unchanged = self._applied.get(user) == keys and user in managed
            if unchanged or self._grant(user, keys, passwd, managed):
                applied[user] = keys
        for user in sorted(managed - wanted.keys()):
            if self._revoke(user, passwd):
                managed.discard(user)
        if managed != before:
            self._save(managed)
        # A user that failed is left out, so that the next pass tries it again.
        self._applied = applied

    def _allowed(self, user: str, passwd: Mapping[str, PasswdEntry]) -> bool:
        entry = passwd.get(user)
        if user == "root" or (entry and (entry.uid < FIRST_USER_UID or entry.uid == NOBODY_UID)):
            self.log.once(f"Invalid user name {user!r} (a system account), ignoring its keys.")
            return False
        return True

    def _grant(
        self, user: str, keys: list[str], passwd: dict[str, PasswdEntry], managed: set[str]
    ) -> bool:
        try:
            if user not in passwd:
                self.log(f"Creating user {user}.")
                self._ensure_group()
                self.run(["useradd", "-m", "-s", "/bin/bash", "-G", SUDOERS_GROUP, user])
                passwd.update(read_passwd(self.root))
            elif user not in managed:
                self.log(f"Adding existing user {user} to {SUDOERS_GROUP} group.")
                self._ensure_group()
                self.run(["gpasswd", "-a", user, SUDOERS_GROUP])
            managed.add(user)
            self.log(f"Updating keys for user {user}.")
            write_authorized_keys(self.root, passwd[user], keys)
        except (CommandError, OSError, KeyError) as error:
            self.log.once(f"Error updating SSH keys for {user}: {error}.")
            return False
        return True

    def _revoke(self, user: str, passwd: Mapping[str, PasswdEntry]) -> bool:
        self.log(f"Removing user {user}.")
        try:
            if user in passwd:
                write_authorized_keys(self.root, passwd[user], [])
                self.run(["gpasswd", "-d", user, SUDOERS_GROUP])
        except (CommandError, OSError) as error:
            self.log.once(f"Error removing user {user}: {error}.")
            return False
        return True

    def _ensure_group(self) -> None:
        groups = (self.root / "etc/group").read_text().splitlines()
        if not any(line.startswith(SUDOERS_GROUP + ":") for line in groups):
            self.run(["groupadd", "-f", SUDOERS_GROUP])

    def _managed(self) -> set[str]:
        path = self.root / USERS_FILE
        return set(path.read_text().split()) if path.exists() else set()

    def _save(self, users: set[str]) -> None:
        path = self.root / USERS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".new")
        temp.write_text("".join(user + "\n" for user in sorted(users)))
        temp.replace(path)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Daemon:
    """Apply accounts now and at every metadata change (and every ``watch_timeout``
    seconds, when keys may have expired), retrying while the server is unreachable."""

    def __init__(
        self,
        metadata: Metadata,
        accounts: Accounts,
        log: Log,
        watch_timeout: int = 60,
        backoff: tuple[float, float] = (1.0, 10.0),
        now: Callable[[], datetime.datetime] = utc_now,
    ):
        self.metadata = metadata
        self.accounts = accounts
        self.log = log
        self.watch_timeout = watch_timeout
        self.backoff = backoff
        self.now = now
        self.ready = False

    def run(self, stop: threading.Event) -> None:
        etag: str | None = None
        delay, failing = self.backoff[0], False
        while not stop.is_set():
            try:
                doc, new_etag = self.metadata.watch(etag, self.watch_timeout)
                self.accounts.apply(user_keys(key_lines(doc), self.now(), self.log))
                self._mark_ready()
            except (MetadataError, NotFound) as error:
                if not failing:
                    self.log(f"Metadata server not reachable, retrying: {error}")
                failing = True
                stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            if failing:
                self.log("Metadata server reachable again.")
            delay, failing = self.backoff[0], False
            etag = new_etag or None
            if etag is None:  # no ETag to wait on: poll instead of spinning
                stop.wait(self.backoff[1])

    def _mark_ready(self) -> None:
        if not self.ready:
            self.metadata.put_guest_attribute(READY_ATTRIBUTE, "true")
            self.ready = True
            self.log("Accounts applied; guest agent ready.")


# --- host keys ---------------------------------------------------------------------


def host_keys(root: Path) -> dict[str, str]:
    """sshd's public host keys: key type to base64 blob."""
    keys: dict[str, str] = {}
    for path in sorted((root / "etc/ssh").glob("ssh_host_*_key.pub")):
        fields = path.read_text().split()
        if len(fields) >= 2:
            keys[fields[0]] = fields[1]
    return keys


def publish_host_keys(
    metadata: Metadata, root: Path, log: Log, stop: threading.Event, interval: float = 2.0
) -> None:
    """Publish each host key as guest attribute ``hostkeys/<type>`` (gcloud builds
    known_hosts from them) once sshd has them, and again whenever one changes."""
    published: dict[str, str] = {}
    while not stop.is_set():
        for kind, blob in host_keys(root).items():
            if published.get(kind) == blob:
                continue
            try:
                metadata.put_guest_attribute(f"hostkeys/{kind}", blob)
            except (MetadataError, NotFound) as error:
                log.once(f"Failed to publish the {kind} host key, retrying: {error}")
                continue
            published[kind] = blob
            log(f"Published the {kind} host key.")
        # Poll fast until sshd has keys, then only to notice a regeneration.
        stop.wait(interval if not published else interval * 15)


# --- startup and shutdown scripts ---------------------------------------------------


class FetchError(Exception):
    pass


GCS_BUCKET = r"([a-z0-9][-_.a-z0-9]*)"
GCS_URLS = (
    re.compile(rf"gs://{GCS_BUCKET}/(.+)"),
    re.compile(rf"https?://{GCS_BUCKET}\.storage\.googleapis\.com/(.+)"),
    re.compile(rf"https?://storage\.cloud\.google\.com/{GCS_BUCKET}/(.+)"),
    re.compile(rf"https?://(?:commondata)?storage\.googleapis\.com/{GCS_BUCKET}/(.+)"),
)


def gcs_object(url: str) -> tuple[str, str] | None:
    """(bucket, object) of a Cloud Storage URL in any of the forms Google's runner takes."""
    for pattern in GCS_URLS:
        if match := pattern.fullmatch(url):
            return match[1], match[2]
    return None


def storage_media_url(env: Mapping[str, str], bucket: str, name: str) -> str:
    api = (env.get("API_ENDPOINT_OVERRIDE") or STORAGE_API).rstrip("/")
    api = api.removesuffix("/storage/v1")
    quote = urllib.parse.quote
    return f"{api}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media"


def download(url: str, headers: Mapping[str, str], attempts: int = 3) -> bytes:
    problem = f"GET {url}: no attempt"
    for attempt in range(attempts):
        try:
            req = urllib.request.Request(url, headers=dict(headers))
            with urllib.request.urlopen(req, timeout=60) as resp:
                body: bytes = resp.read()
                return body
        except urllib.error.HTTPError as error:
            error.close()
            problem = f"GET {url}: HTTP {error.code}"
            if error.code < 500:
                break
        except (OSError, http.client.HTTPException) as error:
            problem = f"GET {url}: {error}"
        if attempt + 1 < attempts:
            time.sleep(1)
    raise FetchError(problem)


def fetch_script(url: str, metadata: Metadata, env: Mapping[str, str]) -> bytes:
    """An http(s) URL as it is; a Cloud Storage object through the JSON API, with the
    default service account's token when the instance has one."""
    location = gcs_object(url)
    if location is None:
        return download(url, {})
    token = metadata.access_token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return download(storage_media_url(env, *location), headers)


def find_scripts(doc: Mapping[str, Any], kind: str) -> list[tuple[str, str]]:
    """The scripts to run, in Google's order; instance attributes win over the
    project's as a whole, as in Google's runner."""
    wanted = (f"{kind}-script", f"{kind}-script-url")
    for scope in ("instance", "project"):
        attrs = attributes(doc, scope)
        if found := [(key, attrs[key]) for key in wanted if attrs.get(key)]:
            return found
    return []


class ScriptRunner:
    """google_metadata_script_runner: run a kind of script (startup or shutdown) once."""

    def __init__(
        self,
        metadata: Metadata,
        log: Log,
        env: Mapping[str, str],
        run_dir: Path | None = None,
        shell: str = "/bin/bash",
        patience: float = 120.0,
    ):
        self.metadata = metadata
        self.log = log
        self.env = env
        self.run_dir = run_dir
        self.shell = shell
        self.patience = patience

    def run(self, kind: str) -> int:
        self.log(f"Starting {kind} scripts (version {VERSION}).")
        try:
            doc = retry(self.metadata.get_json, self.log, self.patience)
        except (MetadataError, NotFound) as error:
            self.log(f"Failed to read metadata, no {kind} scripts run: {error}")
            return 1
        scripts = find_scripts(doc, kind)
        if not scripts:
            self.log(f"No {kind} scripts to run.")
            return 0
        for key, value in scripts:
            self.log(f"Found {key} in metadata.")
            try:
                status = self._run_one(key, value)
            except (FetchError, MetadataError, NotFound, OSError) as error:
                self.log(f'Script "{key}" failed with error: {error}')
                continue
            self.log(f"{key} exit status {status}")
        self.log(f"Finished running {kind} scripts.")
        return 0

    def _run_one(self, key: str, value: str) -> int:
        with tempfile.TemporaryDirectory(prefix="metadata-scripts", dir=self.run_dir) as temp:
            path = Path(temp) / key
            if key.endswith("-url"):
                path.write_bytes(fetch_script(value.strip(), self.metadata, self.env))
            else:
                path.write_text(value.lstrip(" \n\v\f\t\r"))
            path.chmod(0o755)
            return self._execute(key, path)

    def _execute(self, key: str, path: Path) -> int:
        """Log each output line (stdout and stderr together); return the exit status.

        As Google's runner, the shell runs the file: a shebang line chooses the
        interpreter, and a file without one is a shell script.
        """
        argv = [self.shell, "-c", shlex.quote(str(path))]
        out, err = subprocess.PIPE, subprocess.STDOUT
        with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err) as proc:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                self.log(f"{key}: {line}")
            return proc.wait()


# --- entry points ------------------------------------------------------------------


def daemon(metadata: Metadata, root: Path = Path("/")) -> int:
    log = Log("google_guest_agent", CONSOLE)
    log(f"Nimbus guest agent {VERSION} starting.")
    stop = threading.Event()
    keys = threading.Thread(target=publish_host_keys, args=(metadata, root, log, stop), daemon=True)
    keys.start()
    Daemon(metadata, Accounts(root, run_command, log), log).run(stop)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    command = argv[1] if len(argv) == 2 else ""
    metadata = Metadata(metadata_root(os.environ))
    if command == "daemon":
        return daemon(metadata)
    if command in ("startup", "shutdown"):
        log = Log("google_metadata_script_runner", CONSOLE)
        # Shutdown must not hold the halt long if the metadata server is already gone.
        patience = 120.0 if command == "startup" else 10.0
        return ScriptRunner(metadata, log, os.environ, patience=patience).run(command)
    print(f"usage: {Path(argv[0]).name} daemon|startup|shutdown", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
