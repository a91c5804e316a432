"""Recommendations as users see them: Google's names and shapes, refreshed on every
read, with states that survive refreshes and etags that guard every mark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.core.errors import FailedPrecondition, InvalidArgument, NimbusError
from nimbus.core.paging import PageRequest
from nimbus.services.caller import ANONYMOUS
from nimbus.services.recommender.service import Parent
from tests.unit.recommender_world import PROJECT, ZONE, World, make_world

IDLE = "google.compute.instance.IdleResourceRecommender"
EMPTY = "nimbus.storage.bucket.IdleResourceRecommender"
EVERYWHERE = Parent(PROJECT, "-", "-")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    for name in ("idle-a", "idle-b"):
        made.create_instance(name, "e2-standard-2")
    made.sampler.sample_once()
    made.add_bucket("left-behind", age=dt.timedelta(days=31))
    made.clock.advance(days=2)
    made.sampler.sample_once()
    yield made
    made.cloud.close()


def _list(world: World, parent: Parent = EVERYWHERE, text: str | None = None) -> list[Any]:
    page = world.recommendations.list_recommendations(world.owner, parent, text, PageRequest())
    return page.items


def _idle(world: World, instance: str) -> dict[str, Any]:
    return next(r for r in _list(world) if r["targetResources"][0].endswith(f"/{instance}"))


def _id(recommendation: dict[str, Any]) -> str:
    return str(recommendation["name"].rsplit("/", 1)[-1])


def _mark(world: World, rec: dict[str, Any], state: str, etag: str | None, **meta: str) -> Any:
    parent = Parent(PROJECT, ZONE, IDLE)
    return world.recommendations.mark(world.owner, parent, _id(rec), state, etag, meta or None)


def test_recommendations_have_googles_shape(world: World) -> None:
    number = world.project.number
    found = _list(world)
    assert {r["name"].split("/recommendations/")[0] for r in found} == {
        f"projects/{number}/locations/{ZONE}/recommenders/{IDLE}",
        f"projects/{number}/locations/global/recommenders/{EMPTY}",
    }
    idle = _idle(world, "idle-a")
    assert idle["stateInfo"] == {"state": "ACTIVE", "stateMetadata": {}}
    assert idle["primaryImpact"]["category"] == "COST"
    projection = idle["primaryImpact"]["costProjection"]
    assert projection["duration"] == "2592000s"
    assert projection["cost"]["units"].startswith("-")
    assert idle["lastRefreshTime"] == "2026-03-03T12:00:00.000Z"
    assert idle["content"]["overview"]["command"].startswith("nimbus compute instances stop")
    assert idle["etag"].startswith('"')
    # Filters, locations and recommenders narrow the list; ids stay the same.
    assert len(_list(world, Parent(PROJECT, ZONE, IDLE))) == 2
    assert len(_list(world, Parent(PROJECT, "global", "-"))) == 1
    assert (
        len(_list(world, text=f"recommenderSubtype = STOP_VM AND priority = {idle['priority']}"))
        == 2
    )
    got = world.recommendations.get(world.owner, Parent(PROJECT, ZONE, IDLE), _id(idle))
    assert got["name"] == idle["name"]


def test_claim_succeed_dismiss_and_stale_etags(world: World) -> None:
    a, b = _idle(world, "idle-a"), _idle(world, "idle-b")
    claimed = _mark(world, a, "CLAIMED", a["etag"], ticket="ops-42")
    assert claimed["stateInfo"] == {"state": "CLAIMED", "stateMetadata": {"ticket": "ops-42"}}
    assert claimed["etag"] != a["etag"]
    with pytest.raises(FailedPrecondition) as stale:
        _mark(world, a, "SUCCEEDED", a["etag"])
    assert stale.value.code == 400
    with pytest.raises(FailedPrecondition):
        _mark(world, a, "DISMISSED", claimed["etag"])  # only ACTIVE ones are dismissed
    with pytest.raises(InvalidArgument):
        _mark(world, a, "SUCCEEDED", None)  # the etag is required
    with pytest.raises(InvalidArgument):
        _mark(world, a, "SUCCEEDED", claimed["etag"], **{"Bad Key": "x"})
    done = _mark(world, a, "SUCCEEDED", claimed["etag"].strip('"'))  # quotes are optional
    assert done["stateInfo"]["state"] == "SUCCEEDED"
    dismissed = _mark(world, b, "DISMISSED", None)
    assert dismissed["stateInfo"]["state"] == "DISMISSED"
    states = {r["targetResources"][0].rsplit("/", 1)[-1]: r for r in _list(world)}
    assert states["idle-a"]["stateInfo"]["state"] == "SUCCEEDED"
    assert states["idle-b"]["stateInfo"]["state"] == "DISMISSED"
    active = _list(world, text="stateInfo.state = ACTIVE")
    assert _list(world, text="state_info.state = ACTIVE") == active
    assert [r["targetResources"][0] for r in active] == [
        "//storage.googleapis.com/projects/_/buckets/left-behind"
    ]


def test_refresh_keeps_ids_and_etags_and_drops_what_is_gone(world: World) -> None:
    before = _idle(world, "idle-a")
    world.clock.advance(hours=3)
    world.sampler.sample_once()
    after = _idle(world, "idle-a")
    assert after["name"] == before["name"]
    assert after["etag"] == before["etag"]  # new samples are no new recommendation
    assert after["lastRefreshTime"] > before["lastRefreshTime"]

    claimed = _mark(world, _idle(world, "idle-b"), "CLAIMED", _idle(world, "idle-b")["etag"])
    world.stop_instance("idle-a")
    world.stop_instance("idle-b")
    targets = {r["targetResources"][0].rsplit("/", 1)[-1]: r for r in _list(world)}
    assert "idle-a" not in targets  # its waste is gone, and nobody claimed it
    assert targets["idle-b"]["etag"] == claimed["etag"]  # claimed: kept as the user saw it


def test_paging_and_bad_requests(world: World) -> None:
    first = world.recommendations.list_recommendations(
        world.owner, EVERYWHERE, None, PageRequest(size=2)
    )
    assert len(first.items) == 2 and first.next_page_token
    rest = world.recommendations.list_recommendations(
        world.owner, EVERYWHERE, None, PageRequest.parse(2, first.next_page_token)
    )
    assert len(rest.items) == 1 and rest.next_page_token is None
    for parent in (Parent(PROJECT, "mars-1", "-"), Parent(PROJECT, "-", "google.nope")):
        with pytest.raises(InvalidArgument):
            _list(world, parent)
    with pytest.raises(InvalidArgument):
        world.recommendations.get(world.owner, EVERYWHERE, "x")
    with pytest.raises(NimbusError) as denied:
        world.recommendations.list_recommendations(ANONYMOUS, EVERYWHERE, None, PageRequest())
    assert denied.value.code in (401, 403)
    with pytest.raises(NimbusError) as missing:
        _list(world, Parent("no-such-project", "-", "-"))
    assert missing.value.code == 404
