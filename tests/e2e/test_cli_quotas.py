"""``nimbus compute regions describe`` and ``project-info describe`` show quotas;
``nimbus quotas preferences`` raises a limit so that a refused create goes through."""

from __future__ import annotations

import json

from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

CREATE = "compute instances create {name} --zone us-central1-a --machine-type {kind} --project {p}"


def test_regions_describe_shows_quotas(cli: Cli, project: str) -> None:
    table = ok(cli, f"compute regions describe us-central1 --project {project}").stdout
    lines = table.splitlines()
    assert lines[0].split() == ["METRIC", "USAGE", "LIMIT"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["CPUS"] == ["0.0", "24.0"]
    assert rows["SSD_TOTAL_GB"] == ["0.0", "500.0"]
    shown = json.loads(
        ok(cli, f"compute regions describe us-central1 --project {project} --format json").stdout
    )
    assert {"metric": "CPUS", "limit": 24.0, "usage": 0.0} in shown["quotas"]
    info = json.loads(
        ok(cli, f"compute project-info describe --project {project} --format json").stdout
    )
    assert {q["metric"] for q in info["quotas"]} == {"SNAPSHOTS", "NETWORKS", "FIREWALLS"}
    # gcloud's way to a table of one region's quotas: one row per element.
    flattened = ok(
        cli,
        f"compute regions describe us-central1 --project {project} --flatten quotas "
        "--format table(quotas.metric,quotas.limit,quotas.usage)",
    ).stdout.splitlines()
    assert flattened[0].split() == ["METRIC", "LIMIT", "USAGE"]
    assert "CPUS 24.0 0.0" in [" ".join(line.split()) for line in flattened]


def test_preference_raises_a_limit(cli: Cli, project: str) -> None:
    ok(cli, CREATE.format(name="big", kind="e2-standard-16", p=project))
    refused = nimbus(cli, CREATE.format(name="bigger", kind="e2-standard-16", p=project))
    line = failed_in_one_line(refused, "compute.instances.create")
    # One line: the CLI folds the message's double space.
    assert "Quota 'CPUS' exceeded. Limit: 24.0 in region us-central1." in line

    created = ok(
        cli,
        "quotas preferences create --service compute.googleapis.com "
        "--quota-id CPUS-per-project-region --preferred-value 48 "
        f"--dimensions region=us-central1 --preference-id cpus-central --project {project}",
    )
    assert "Created quota preference [projects/" in created.stderr
    assert "grantedValue: '48'" in created.stdout
    ok(cli, CREATE.format(name="bigger", kind="e2-standard-16", p=project))

    listed = ok(cli, f"quotas preferences list --project {project}").stdout
    assert "cpus-central" in listed and "CPUS-per-project-region" in listed
    described = ok(cli, f"quotas preferences describe cpus-central --project {project}")
    assert "preferredValue: '48'" in described.stdout
    # A cut to below usage needs both of gcloud's flags.
    lower = (
        "quotas preferences update cpus-central --service compute.googleapis.com "
        f"--quota-id CPUS-per-project-region --preferred-value 16 --project {project}"
    )
    cut = nimbus(cli, f"{lower} --allow-high-percentage-quota-decrease")
    assert "QUOTA_DECREASE_BELOW_USAGE" in failed_in_one_line(cut, "quotas.preferences.update")
    ok(
        cli,
        f"{lower} --allow-high-percentage-quota-decrease --allow-quota-decrease-below-usage",
    )
    table = ok(cli, f"compute regions describe us-central1 --project {project}").stdout
    assert ["CPUS", "32.0", "16.0"] in [line.split() for line in table.splitlines()]


def test_bad_input_is_one_line(cli: Cli, project: str) -> None:
    base = f"quotas preferences create --service compute.googleapis.com --project {project}"
    bad_id = nimbus(cli, f"{base} --quota-id CPUS-per-galaxy --preferred-value 4")
    assert "CPUS-per-galaxy" in failed_in_one_line(bad_id, "quotas.preferences.create")
    negative = nimbus(cli, f"{base} --quota-id CPUS-per-project-region --preferred-value -5")
    failed_in_one_line(negative, "quotas.preferences.create")
    not_a_number = nimbus(cli, f"{base} --quota-id CPUS-per-project-region --preferred-value x")
    failed_in_one_line(not_a_number, "quotas.preferences.create")
    missing = nimbus(cli, f"quotas preferences describe nothing-here --project {project}")
    failed_in_one_line(missing, "quotas.preferences.describe")
    region = nimbus(cli, f"compute regions describe mars-north1 --project {project}")
    failed_in_one_line(region, "compute.regions.describe")
    assert (
        "quotaPreferences"
        not in ok(cli, f"quotas preferences list --project {project} --format json").stdout
    )
