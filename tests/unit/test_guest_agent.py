"""The guest agent against a temporary root and a stub metadata server on loopback."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nimbus.guest import agent
from nimbus.guest.install import GUEST_UNITS, guest_files

NOW = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC)
ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockKeyForTests"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQMock"


def google_ssh(key: str, expire_on: str) -> str:
    info = json.dumps({"userName": "alice@example.com", "expireOn": expire_on})
    return f"{key} google-ssh {info}"


# --- a stub metadata server ---------------------------------------------------------


class StubMetadata:
    """The GCE metadata paths the agent uses (recursive JSON, ETag, wait_for_change,
    guest attributes, the token) and the Storage JSON API's media download."""

    token = "ya29.stub-token"

    def __init__(self) -> None:
        self.doc: dict[str, Any] = {
            "instance": {"attributes": {}, "hostname": "vm-1.c.demo.internal"},
            "project": {"attributes": {}, "projectId": "demo"},
        }
        self.guest_attributes: dict[str, str] = {}
        self.objects: dict[str, bytes] = {}
        self.unavailable = 0  # the next N requests answer 503
        self.closing = False
        self.changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.root = f"http://127.0.0.1:{self.port}/computeMetadata/v1/"

    def etag(self) -> str:
        return hashlib.sha256(json.dumps(self.doc, sort_keys=True).encode()).hexdigest()[:16]

    def set_attributes(self, scope: str, **values: str) -> None:
        with self.changed:
            self.doc[scope]["attributes"] = {k.replace("_", "-"): v for k, v in values.items()}
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closing = True
            self.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def get(self, path: str, query: dict[str, str], headers: Any) -> tuple[int, bytes, str]:
        if self.unavailable:
            self.unavailable -= 1
            return 503, b"unavailable", ""
        if path.startswith("/storage/v1/b/"):
            return self._object(path, query, headers)
        if path.startswith("/scripts/"):
            return 200, self.objects.get(path, b""), ""
        if headers.get("Metadata-Flavor") != "Google":
            return 403, b"Missing Metadata-Flavor:Google header.", ""
        key = path.removeprefix("/computeMetadata/v1/").strip("/")
        if key == "instance/service-accounts/default/token":
            token = {"access_token": self.token, "expires_in": 3599, "token_type": "Bearer"}
            return 200, json.dumps(token).encode(), ""
        if key == "" and query.get("wait_for_change") == "true":
            with self.changed:
                self.changed.wait_for(
                    lambda: self.closing or self.etag() != query.get("last_etag"),
                    float(query.get("timeout_sec", "60")),
                )
        node: Any = self.doc
        for part in filter(None, key.split("/")):
            if not isinstance(node, dict) or part not in node:
                return 404, b"Not Found", ""
            node = node[part]
        body = json.dumps(node) if isinstance(node, dict) else str(node)
        return 200, body.encode(), self.etag()

    def _object(self, path: str, query: dict[str, str], headers: Any) -> tuple[int, bytes, str]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, b"Unauthorized", ""
        bucket, _, name = path.removeprefix("/storage/v1/b/").partition("/o/")
        found = self.objects.get(f"{bucket}/{urllib.parse.unquote(name)}")
        if query.get("alt") != "media" or found is None:
            return 404, b"No such object", ""
        return 200, found, ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                self._send(*stub.get(url.path, query, self.headers))

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                key = self.path.removeprefix("/computeMetadata/v1/instance/guest-attributes/")
                stub.guest_attributes[key] = body
                self._send(200, b"", "")

            def _send(self, code: int, body: bytes, etag: str) -> None:
                self.send_response(code)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def stub() -> Iterator[StubMetadata]:
    server = StubMetadata()
    thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(5)


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def log(out: io.StringIO) -> agent.Log:
    return agent.Log("google_guest_agent", None, out)


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


# --- parsing keys --------------------------------------------------------------------


def test_key_lines_give_users_their_keys_in_order(log: agent.Log) -> None:
    lines = [f"alice:{ED} alice@laptop", f"bob:{RSA}", f"alice:{RSA}", f"alice:{RSA}"]
    assert agent.user_keys(lines, NOW, log) == {
        "alice": [f"{ED} alice@laptop", RSA],
        "bob": [RSA],
    }


def test_expired_and_malformed_google_ssh_keys_are_ignored(log: agent.Log) -> None:
    live = google_ssh(ED, "2026-11-25T10:00:00+0000")
    lines = [
        f"alice:{live}",
        f"alice:{google_ssh(RSA, '2026-05-01T11:59:59+0000')}",  # a second too old
        f"bob:{RSA} google-ssh",  # no expiry at all
        f"carol:{RSA} google-ssh {{not json",
        f"dave:{RSA} google-ssh {json.dumps({'expireOn': 'tomorrow'})}",
    ]
    assert agent.user_keys(lines, NOW, log) == {"alice": [live]}


def test_invalid_user_names_and_entries_are_logged_once(log: agent.Log, out: io.StringIO) -> None:
    lines = ["Alice:" + ED, "9lives:" + ED, "x" * 33 + ":" + ED, "no-colon " + ED, "eve:ssh-rsa"]
    assert agent.user_keys(lines, NOW, log) == {}
    assert agent.user_keys(lines, NOW, log) == {}
    logged = out.getvalue().splitlines()
    assert len(logged) == 5
    assert "Invalid user name 'Alice' in ssh keys, ignoring its key." in logged


def test_project_keys_apply_unless_the_instance_blocks_them() -> None:
    def doc(**instance: str) -> dict[str, Any]:
        project = {"ssh-keys": f"proj:{RSA}\n", "sshKeys": f"old:{RSA}"}
        return {"instance": {"attributes": instance}, "project": {"attributes": project}}

    assert agent.key_lines(doc(**{"ssh-keys": f"inst:{ED}"})) == [
        f"inst:{ED}",
        f"proj:{RSA}",
        f"old:{RSA}",
    ]
    for blocked in ("true", "TRUE", "1"):
        attrs = {"ssh-keys": f"inst:{ED}", "block-project-ssh-keys": blocked}
        assert agent.key_lines(doc(**attrs)) == [f"inst:{ED}"]
    # The legacy instance attribute sshKeys blocks project keys, as on Google.
    assert agent.key_lines(doc(sshKeys=f"legacy:{ED}")) == [f"legacy:{ED}"]
    assert len(agent.key_lines(doc(**{"block-project-ssh-keys": "false"}))) == 2


# --- accounts ------------------------------------------------------------------------

UID = 1001 if os.geteuid() == 0 else os.getuid()
GID = 1001 if os.geteuid() == 0 else os.getgid()


class FakeSystem:
    """useradd/gpasswd as a command runner: records them, and useradd adds the user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> None:
        self.calls.append(list(argv))
        if argv[0] == "useradd":
            add_user(self.root, argv[-1], UID)


def add_user(root: Path, name: str, uid: int) -> None:
    with (root / "etc/passwd").open("a") as passwd:
        passwd.write(f"{name}:x:{uid}:{GID}::/home/{name}:/bin/bash\n")
    (root / "home" / name).mkdir(parents=True)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    )
    (tmp_path / "etc/group").write_text("root:x:0:\ngoogle-sudoers:x:1500:\n")
    return tmp_path


def authorized_keys(root: Path, user: str) -> Path:
    return root / "home" / user / ".ssh/authorized_keys"


def test_accounts_are_created_with_exactly_their_keys(root: Path, log: agent.Log) -> None:
    system = FakeSystem(root)
    agent.Accounts(root, system, log).apply({"alice": [ED, RSA]})

    assert system.calls == [["useradd", "-m", "-s", "/bin/bash", "-G", "google-sudoers", "alice"]]
    keys = authorized_keys(root, "alice")
    assert keys.read_text() == f"{ED}\n{RSA}\n"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.parent.stat().st_mode) == 0o700
    assert (keys.stat().st_uid, keys.parent.stat().st_uid) == (UID, UID)
    assert (root / "var/lib/nimbus-guest/users").read_text() == "alice\n"


def test_users_whose_keys_are_gone_lose_keys_and_sudo_but_keep_the_account(
    root: Path, log: agent.Log
) -> None:
    system = FakeSystem(root)
    accounts = agent.Accounts(root, system, log)
    accounts.apply({"alice": [ED], "bob": [RSA]})
    system.calls.clear()

    accounts.apply({"bob": [RSA, ED]})

    assert system.calls == [["gpasswd", "-d", "alice", "google-sudoers"]]
    assert authorized_keys(root, "alice").read_text() == ""
    assert authorized_keys(root, "bob").read_text() == f"{RSA}\n{ED}\n"
    assert (root / "var/lib/nimbus-guest/users").read_text() == "bob\n"
    assert "alice:" in (root / "etc/passwd").read_text()


def test_existing_users_join_sudoers_and_system_users_are_refused(
    root: Path, log: agent.Log, out: io.StringIO
) -> None:
    add_user(root, "debian", UID)
    system = FakeSystem(root)
    agent.Accounts(root, system, log).apply({"debian": [ED], "root": [ED], "daemon": [ED]})

    assert system.calls == [["gpasswd", "-a", "debian", "google-sudoers"]]
    assert authorized_keys(root, "debian").read_text() == f"{ED}\n"
    assert not (root / "root/.ssh").exists()
    assert "Invalid user name 'daemon' (a system account), ignoring its keys." in out.getvalue()


def test_a_restarted_agent_revokes_users_from_its_list(root: Path, log: agent.Log) -> None:
    agent.Accounts(root, FakeSystem(root), log).apply({"alice": [ED]})
    system = FakeSystem(root)
    agent.Accounts(root, system, log).apply({})
    assert system.calls == [["gpasswd", "-d", "alice", "google-sudoers"]]


def test_a_failed_user_is_retried_on_the_next_pass(root: Path, log: agent.Log) -> None:
    calls: list[str] = []

    def flaky(argv: Sequence[str]) -> None:
        calls.append(argv[0])
        if len(calls) == 1:
            raise agent.CommandError("useradd: cannot lock /etc/passwd")
        add_user(root, argv[-1], UID)

    accounts = agent.Accounts(root, flaky, log)
    accounts.apply({"alice": [ED]})
    assert not authorized_keys(root, "alice").exists()
    accounts.apply({"alice": [ED]})
    assert authorized_keys(root, "alice").read_text() == f"{ED}\n"


def test_a_symlinked_ssh_directory_is_not_followed(
    root: Path, log: agent.Log, out: io.StringIO
) -> None:
    add_user(root, "mallory", UID)
    (root / "etc/elsewhere").mkdir(mode=0o755)
    (root / "home/mallory/.ssh").symlink_to(root / "etc/elsewhere")
    agent.Accounts(root, FakeSystem(root), log).apply({"mallory": [ED]})
    assert list((root / "etc/elsewhere").iterdir()) == []
    assert stat.S_IMODE((root / "etc/elsewhere").stat().st_mode) == 0o755
    assert "Error updating SSH keys for mallory" in out.getvalue()


# --- the daemon ----------------------------------------------------------------------


def run_daemon(daemon: agent.Daemon) -> Callable[[], None]:
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,))
    thread.start()

    def finish() -> None:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()

    return finish


def test_daemon_applies_keys_reports_ready_and_follows_changes(
    stub: StubMetadata, root: Path, log: agent.Log
) -> None:
    stub.set_attributes("instance", ssh_keys=f"alice:{ED}")
    metadata = agent.Metadata(stub.root, timeout=5)
    daemon = agent.Daemon(metadata, agent.Accounts(root, FakeSystem(root), log), log, 5)
    finish = run_daemon(daemon)
    try:
        wait_until(lambda: stub.guest_attributes.get("nimbus/agent-ready") == "true")
        assert authorized_keys(root, "alice").read_text() == f"{ED}\n"

        started = time.monotonic()
        stub.set_attributes("instance", ssh_keys=f"alice:{RSA}\nbob:{ED}")
        wait_until(lambda: authorized_keys(root, "bob").exists())
        # The long poll returns on the change, well before its 5 s timeout.
        assert time.monotonic() - started < 2
        assert authorized_keys(root, "alice").read_text() == f"{RSA}\n"
    finally:
        stub.set_attributes("instance")  # wake the long poll so the daemon can stop
        finish()


def test_daemon_retries_while_the_metadata_server_fails(
    stub: StubMetadata, root: Path, log: agent.Log, out: io.StringIO
) -> None:
    stub.unavailable = 3
    stub.set_attributes("project", ssh_keys=f"alice:{ED}")
    metadata = agent.Metadata(stub.root, timeout=5)
    accounts = agent.Accounts(root, FakeSystem(root), log)
    finish = run_daemon(agent.Daemon(metadata, accounts, log, 1, backoff=(0.05, 0.2)))
    try:
        wait_until(lambda: "nimbus/agent-ready" in stub.guest_attributes)
    finally:
        finish()
    assert authorized_keys(root, "alice").exists()
    logged = out.getvalue()
    assert logged.count("Metadata server not reachable, retrying") == 1
    assert "Metadata server reachable again." in logged


def test_expired_keys_are_removed_without_a_metadata_change(
    stub: StubMetadata, root: Path, log: agent.Log
) -> None:
    stub.set_attributes("instance", ssh_keys=f"alice:{google_ssh(ED, '2026-05-01T12:00:01Z')}")
    clock = [NOW]
    metadata = agent.Metadata(stub.root, timeout=5)
    accounts = agent.Accounts(root, FakeSystem(root), log)
    finish = run_daemon(agent.Daemon(metadata, accounts, log, 1, now=lambda: clock[0]))
    try:
        wait_until(lambda: authorized_keys(root, "alice").exists())
        clock[0] = NOW + datetime.timedelta(seconds=2)
        wait_until(lambda: authorized_keys(root, "alice").read_text() == "", timeout=5)
    finally:
        finish()


def test_host_keys_are_published_once_sshd_has_them(
    stub: StubMetadata, root: Path, log: agent.Log
) -> None:
    (root / "etc/ssh").mkdir()
    metadata = agent.Metadata(stub.root, timeout=5)
    stop = threading.Event()
    thread = threading.Thread(
        target=agent.publish_host_keys, args=(metadata, root, log, stop, 0.05)
    )
    thread.start()
    try:
        time.sleep(0.2)
        assert stub.guest_attributes == {}
        (root / "etc/ssh/ssh_host_ed25519_key.pub").write_text(f"{ED} root@image\n")
        (root / "etc/ssh/ssh_host_rsa_key.pub").write_text(f"{RSA} root@image\n")
        wait_until(lambda: len(stub.guest_attributes) == 2)
    finally:
        stop.set()
        thread.join(5)
    assert stub.guest_attributes == {
        "hostkeys/ssh-ed25519": ED.split()[1],
        "hostkeys/ssh-rsa": RSA.split()[1],
    }


# --- scripts -------------------------------------------------------------------------


@pytest.fixture
def script_log(tmp_path: Path, out: io.StringIO) -> agent.Log:
    (tmp_path / "console").touch()  # the agent writes to a console, never creates one
    return agent.Log("google_metadata_script_runner", tmp_path / "console", out)


def runner(stub: StubMetadata, script_log: agent.Log, **env: str) -> agent.ScriptRunner:
    return agent.ScriptRunner(agent.Metadata(stub.root, timeout=5), script_log, env, patience=2)


def test_startup_script_output_is_prefixed_on_console_and_journal(
    stub: StubMetadata, script_log: agent.Log, out: io.StringIO, tmp_path: Path
) -> None:
    script = "\n  #!/bin/bash\necho hello\necho oops >&2\nexit 3\n"
    stub.set_attributes("instance", startup_script=script)

    assert runner(stub, script_log).run("startup") == 0

    assert out.getvalue().splitlines() == [
        f"Starting startup scripts (version {agent.VERSION}).",
        "Found startup-script in metadata.",
        "startup-script: hello",
        "startup-script: oops",
        "startup-script exit status 3",
        "Finished running startup scripts.",
    ]
    console = (tmp_path / "console").read_text().splitlines()
    prefix = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ google_metadata_script_runner\[\d+\]: "
    assert all(re.match(prefix, line) for line in console)
    assert console[2].endswith(
        f"google_metadata_script_runner[{os.getpid()}]: startup-script: hello"
    )


def test_scripts_with_a_shebang_use_its_interpreter(
    stub: StubMetadata, script_log: agent.Log, out: io.StringIO
) -> None:
    stub.set_attributes("project", shutdown_script=f"#!{sys.executable}\nprint('from python')\n")
    runner(stub, script_log).run("shutdown")
    assert "shutdown-script: from python" in out.getvalue().splitlines()


def test_instance_scripts_win_over_the_project_and_none_is_reported(
    stub: StubMetadata, script_log: agent.Log, out: io.StringIO
) -> None:
    stub.set_attributes("project", startup_script="echo project")
    stub.set_attributes("instance", startup_script="echo instance")
    runner(stub, script_log).run("startup")
    runner(stub, script_log).run("shutdown")
    lines = out.getvalue().splitlines()
    assert "startup-script: instance" in lines
    assert "startup-script: project" not in lines
    assert lines[-1] == "No shutdown scripts to run."


def test_gs_script_urls_are_fetched_through_the_json_api_with_a_token(
    stub: StubMetadata, script_log: agent.Log, out: io.StringIO
) -> None:
    stub.objects["demo-data/boot/start script.sh"] = b"echo from gcs\n"
    stub.set_attributes("instance", startup_script_url="gs://demo-data/boot/start script.sh")
    endpoint = f"http://127.0.0.1:{stub.port}"
    runner(stub, script_log, API_ENDPOINT_OVERRIDE=endpoint).run("startup")
    lines = out.getvalue().splitlines()
    assert "startup-script-url: from gcs" in lines
    assert "startup-script-url exit status 0" in lines


def test_inline_script_runs_before_an_http_script_url(
    stub: StubMetadata, script_log: agent.Log, out: io.StringIO
) -> None:
    stub.objects["/scripts/second.sh"] = b"echo second\n"
    url = f"http://127.0.0.1:{stub.port}/scripts/second.sh"
    stub.set_attributes("instance", startup_script="echo first", startup_script_url=url)
    runner(stub, script_log).run("startup")
    lines = out.getvalue().splitlines()
    assert lines.index("startup-script: first") < lines.index("startup-script-url: second")


def test_a_script_that_cannot_be_fetched_is_reported(
    stub: StubMetadata, script_log: agent.Log, out: io.StringIO
) -> None:
    stub.set_attributes("instance", startup_script_url="gs://demo-data/missing.sh")
    endpoint = f"http://127.0.0.1:{stub.port}"
    runner(stub, script_log, API_ENDPOINT_OVERRIDE=endpoint).run("startup")
    assert re.search(
        r'Script "startup-script-url" failed with error: GET .*/o/missing.sh\?alt=media: HTTP 404',
        out.getvalue(),
    )


def test_gcs_urls_in_every_google_form() -> None:
    for url in (
        "gs://b-1/dir/x.sh",
        "https://b-1.storage.googleapis.com/dir/x.sh",
        "https://storage.googleapis.com/b-1/dir/x.sh",
        "http://storage.cloud.google.com/b-1/dir/x.sh",
    ):
        assert agent.gcs_object(url) == ("b-1", "dir/x.sh"), url
    assert agent.gcs_object("https://example.com/x.sh") is None
    env = {"API_ENDPOINT_OVERRIDE": "http://10.0.0.1:8080/storage/v1/"}
    assert agent.storage_media_url(env, "b", "d/x") == (
        "http://10.0.0.1:8080/storage/v1/b/b/o/d%2Fx?alt=media"
    )


def test_main_runs_startup_scripts_from_the_environment(
    stub: StubMetadata,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GCE_METADATA_HOST", f"127.0.0.1:{stub.port}")
    monkeypatch.setattr(agent, "CONSOLE", tmp_path / "console")
    (tmp_path / "console").touch()
    stub.set_attributes("instance", startup_script="echo via main")
    assert agent.main(["agent.py", "startup"]) == 0
    assert "startup-script: via main" in capsys.readouterr().out
    assert "startup-script: via main" in (tmp_path / "console").read_text()


def test_the_agent_runs_on_the_system_python_without_nimbus(tmp_path: Path) -> None:
    script = tmp_path / "agent.py"
    script.write_bytes(next(f.content for f in guest_files() if f.path.endswith("agent.py")))
    done = subprocess.run(
        ["/usr/bin/python3", "-I", str(script), "bogus"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "usage: agent.py daemon|startup|shutdown" in done.stderr


# --- install -------------------------------------------------------------------------


def test_guest_files_hold_the_agent_its_wrapper_and_units() -> None:
    files = {f.path: f for f in guest_files()}
    source = Path(agent.__file__).read_bytes()
    assert files["/usr/lib/nimbus-guest/agent.py"].content == source
    assert files["/usr/lib/nimbus-guest/agent.py"].mode == 0o755
    assert files["/usr/bin/nimbus-guest-agent"].mode == 0o755
    assert b"/usr/lib/nimbus-guest/agent.py" in files["/usr/bin/nimbus-guest-agent"].content
    units = {name: files[f"/etc/systemd/system/{name}"].content.decode() for name in GUEST_UNITS}
    daemon, scripts = units["nimbus-guest-agent.service"], units["nimbus-startup-scripts.service"]
    assert "Restart=always" in daemon
    assert "ExecStart=/usr/bin/nimbus-guest-agent daemon" in daemon
    assert "Before=" not in daemon
    for line in ("Type=oneshot", "RemainAfterExit=yes", "ExecStop=-/usr/bin/nimbus-guest-agent"):
        assert line in scripts
