from __future__ import annotations

import pytest

from nimbus.core.errors import InvalidArgument
from nimbus.core.labels import validate_labels
from nimbus.services.iam.principals import validate_member
from nimbus.services.resourcemanager.project_ids import validate_project_id


@pytest.mark.parametrize("good", ["my-project", "abcdef", "a" * 30, "demo-123-x"])
def test_good_project_ids(good: str) -> None:
    assert validate_project_id(good) == good


@pytest.mark.parametrize("bad", ["abcde", "a" * 31, "1abcdef", "abcdef-", "ABCDEF", "my-google-x"])
def test_bad_project_ids(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_project_id(bad)


def test_labels() -> None:
    assert validate_labels({"env": "prod", "team_a": ""}) == {"env": "prod", "team_a": ""}
    for bad in ({"Env": "x"}, {"env": "X"}, {"-x": "y"}, {f"k{i}": "v" for i in range(65)}):
        with pytest.raises(InvalidArgument):
            validate_labels(bad)


@pytest.mark.parametrize(
    "member",
    [
        "user:alice@example.com",
        "serviceAccount:sa@p.iam.gserviceaccount.com",
        "group:devs@example.com",
        "domain:example.com",
        "allUsers",
        "allAuthenticatedUsers",
        "projectOwner:my-project",
        "deleted:user:bob@example.com?uid=123",
    ],
)
def test_valid_members(member: str) -> None:
    assert validate_member(member) == member


@pytest.mark.parametrize("member", ["alice@example.com", "user:", "user:nobody", "robot:x@y.z", ""])
def test_invalid_members(member: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_member(member)
