"""``nimbus billing report|export`` and ``nimbus clock`` as a student types them: an
instance runs two hours of world time, stops, and its disk waits a day."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unique_id
from tests.real_compute import Cli
from tests.servers import NimbusServer, running_server

ZONE = "us-central1-a"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NimbusServer]:
    data = tmp_path_factory.mktemp("demo") / "data"
    with running_server(data, ["--enable-test-controls"]) as server:
        yield server


@pytest.fixture(scope="module")
def billed_project(demo: NimbusServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str]:
    cli = Cli(demo, tmp_path_factory.mktemp("home"))
    project = unique_id("cost")
    steps = [
        # The story starts at 00:30 of the next day, so that its 26 hours cover two
        # calendar days whatever the hour the tests run at.
        ("clock", "advance", f"{_seconds_to_next_half_past_midnight(cli)}s"),
        ("projects", "create", project),
        ("compute", "instances", "create", "vm-1", "--zone", ZONE, "--project", project,
         "--machine-type", "e2-standard-2"),
        ("clock", "advance", "2h"),
        ("compute", "instances", "stop", "vm-1", "--zone", ZONE, "--project", project),
        ("clock", "advance", "1d"),
    ]  # fmt: skip
    for step in steps:
        done = cli.run(*step)
        assert done.returncode == 0, (step, done.stderr)
    return cli, project


def _seconds_to_next_half_past_midnight(cli: Cli) -> int:
    shown = cli.run("clock", "show", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    now = dt.datetime.fromisoformat(str(json.loads(shown.stdout)["now"]).replace("Z", "+00:00"))
    start = now.replace(hour=0, minute=30, second=0, microsecond=0) + dt.timedelta(days=1)
    return int((start - now).total_seconds())


def test_report_by_service_with_a_chart(billed_project: tuple[Cli, str]) -> None:
    cli, project = billed_project
    done = cli.run("billing", "report", "--project", project)
    assert done.returncode == 0, done.stderr
    assert "Compute Engine" in done.stdout
    assert "Total:" in done.stdout and "USD" in done.stdout
    assert "Cost over time (per hour, USD)" in done.stdout  # two days: hour by hour
    assert "█" in done.stdout


def test_report_by_sku_and_day(billed_project: tuple[Cli, str]) -> None:
    cli, project = billed_project
    by_sku = cli.run("billing", "report", "--project", project, "--by", "sku")
    assert by_sku.returncode == 0, by_sku.stderr
    assert "E2 Instance Core running in Americas" in by_sku.stdout
    assert "Balanced PD Capacity" in by_sku.stdout or "Storage PD Capacity" in by_sku.stdout
    by_day = cli.run("billing", "report", "--project", project, "--by", "day", "--format", "json")
    assert by_day.returncode == 0, by_day.stderr
    days = json.loads(by_day.stdout)
    assert len(days) >= 2 and all(float(day["cost"]) > 0 for day in days)


def test_export_csv_and_json(billed_project: tuple[Cli, str], tmp_path: Path) -> None:
    cli, project = billed_project
    done = cli.run("billing", "export", "--project", project)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and {"service.description", "sku.id", "usage_start_time", "cost"} <= set(rows[0])
    assert {row["project.id"] for row in rows} == {project}
    target = tmp_path / "bill.json"
    saved = cli.run(
        "billing", "export", "--project", project, "--format", "json", "-o", str(target)
    )
    assert saved.returncode == 0, saved.stderr
    lines = json.loads(target.read_text())
    assert len(lines) == len(rows)
    total = sum(line["cost"] for line in lines)
    assert total == pytest.approx(sum(float(row["cost"]) for row in rows))


def test_since_narrows_the_report(billed_project: tuple[Cli, str]) -> None:
    cli, project = billed_project
    recent = cli.run("billing", "export", "--project", project, "--since", "12h")
    assert recent.returncode == 0, recent.stderr
    descriptions = {row["sku.description"] for row in csv.DictReader(io.StringIO(recent.stdout))}
    # The instance stopped a day ago: only its disk cost in the last twelve hours.
    assert descriptions and not any("Instance" in d for d in descriptions)


def test_bad_input_is_one_line(billed_project: tuple[Cli, str]) -> None:
    cli, project = billed_project
    for args in (
        ("billing", "report", "--project", project, "--by", "colour"),
        ("billing", "report", "--project", project, "--since", "last tuesday"),
        ("billing", "export", "--project", project, "--format", "yaml"),
        ("clock", "advance", "soon"),
    ):
        done = cli.run(*args)
        assert done.returncode != 0, args
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_clock_shows_the_advanced_world(billed_project: tuple[Cli, str]) -> None:
    cli, _ = billed_project
    done = cli.run("clock", "show", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["offsetSeconds"] >= 26 * 3600
