"""Token expiry and IAM Conditions, with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.core.errors import PermissionDenied, Unauthenticated
from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.settings import ServerSettings
from nimbus.wire.iam import Policy
from tests.unit.cloud_owner import owner_of


class MovableClock:
    def __init__(self) -> None:
        self.moment = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def cloud(tmp_path: Path, clock: MovableClock) -> Iterator[Cloud]:
    built = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"), clock=clock)
    built.start()
    yield built
    built.close()


def _grant_for_an_hour(
    cloud: Cloud, clock: MovableClock, project: str, member: Caller, role: str
) -> None:
    """``role`` on the project for ``member``, under a condition that ends in an hour."""
    owner = owner_of(cloud)
    end = clock.now() + dt.timedelta(hours=1)
    policy = cloud.projects.get_iam_policy(owner, project, 3)
    bindings = [b.dump() for b in policy.bindings or []] + [
        {
            "role": role,
            "members": [member.principal],
            "condition": {
                "title": "for an hour",
                "expression": f'request.time < timestamp("{end.isoformat()}")',
            },
        }
    ]
    new = Policy.model_validate({"version": 3, "bindings": bindings, "etag": policy.etag})
    cloud.projects.set_iam_policy(owner, project, new, None)


def test_access_tokens_expire_after_an_hour(cloud: Cloud, clock: MovableClock) -> None:
    owner = owner_of(cloud)
    with cloud.db.write() as session:
        issued = cloud.tokens._issue(session, principal=owner.principal, scope="x")
    assert issued.expires_in == 3600
    assert cloud.tokens.authenticate(issued.access_token, set()).principal == owner.principal
    clock.advance(minutes=59)
    assert cloud.tokens.authenticate(issued.access_token, set()).principal == owner.principal
    clock.advance(minutes=2)
    with pytest.raises(Unauthenticated, match="expired"):
        cloud.tokens.authenticate(issued.access_token, set())


def test_time_bound_condition_grants_until_its_end(cloud: Cloud, clock: MovableClock) -> None:
    owner = owner_of(cloud)
    cloud.projects.create(owner, ProjectSpec("cond-project"))
    guest = Caller(principal="user:guest@example.com")
    _grant_for_an_hour(cloud, clock, "cond-project", guest, "roles/viewer")
    assert cloud.projects.get(guest, "cond-project").project_id == "cond-project"
    clock.advance(hours=2)
    with pytest.raises(PermissionDenied):
        cloud.projects.get(guest, "cond-project")


def test_unknown_condition_expressions_grant_nothing(cloud: Cloud) -> None:
    owner = owner_of(cloud)
    cloud.projects.create(owner, ProjectSpec("cond-other"))
    guest = Caller(principal="user:guest@example.com")
    policy = cloud.projects.get_iam_policy(owner, "cond-other", 3)
    bindings = [b.dump() for b in policy.bindings or []] + [
        {
            "role": "roles/viewer",
            "members": [guest.principal],
            "condition": {"title": "t", "expression": 'resource.name.startsWith("x")'},
        }
    ]
    new = Policy.model_validate({"version": 3, "bindings": bindings})
    cloud.projects.set_iam_policy(owner, "cond-other", new, None)
    with pytest.raises(PermissionDenied):
        cloud.projects.get(guest, "cond-other")


def test_the_short_path_does_not_keep_a_decision_made_on_the_time(
    cloud: Cloud, clock: MovableClock
) -> None:
    """Authorization decisions are kept between requests while their rows stay put, but
    not one a time-bound condition went into."""
    owner = owner_of(cloud)
    cloud.projects.create(owner, ProjectSpec("cond-storage"))
    cloud.buckets.insert(owner, "cond-storage", {"name": "cond-bucket"})
    guest = Caller(principal="user:guest@example.com")
    _grant_for_an_hour(cloud, clock, "cond-storage", guest, "roles/storage.objectViewer")
    reads = cloud.quick_object_reads
    assert reads is not None
    for _ in range(2):  # The second asks again at the same epoch.
        assert reads.bucket_for(guest, "cond-bucket", "storage.objects.get") is not None
    clock.advance(hours=2)
    assert reads.bucket_for(guest, "cond-bucket", "storage.objects.get") is None
    assert reads.bucket_for(owner, "cond-bucket", "storage.objects.get") is not None
