"""``nimbus billing accounts|projects|budgets`` as a user types them: gcloud's commands
with ``nimbus`` for ``gcloud``, and the alerts a budget raised in ``list`` and ``describe``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import CliResult
from tests.e2e.expect import failed_in_one_line, nimbus, ok
from tests.servers import NimbusServer

Cli = Callable[..., CliResult]
ZONE = "us-central1-a"
WAIT_SECONDS = 30


@pytest.fixture
def run(cli: Cli, project: str) -> Iterator[Cli]:
    """``nimbus`` in the test's project; its instances are deleted afterwards."""

    def in_project(*args: str, **options: object) -> CliResult:
        return cli(*args, "--project", project, **options)

    yield in_project
    left = ok(in_project, "compute instances list --format value(name)").stdout.split()
    if left:
        ok(in_project, f"compute instances delete {' '.join(left)} --zone {ZONE} --quiet")


def _default_account(run: Cli) -> str:
    listed = ok(run, "billing accounts list --filter displayName:Nimbus --format value(name)")
    (name,) = listed.stdout.split()
    return name.removeprefix("billingAccounts/")


def test_accounts_and_project_links(run: Cli, project: str) -> None:
    listed = ok(run, "billing accounts list")
    heading = listed.stdout.splitlines()[0].split()
    assert heading == ["ACCOUNT_ID", "NAME", "OPEN", "MASTER_ACCOUNT_ID"]
    account = _default_account(run)
    assert any(line.startswith(account) and "True" in line for line in listed.stdout.splitlines())
    described = ok(run, f"billing accounts describe {account}")
    assert "displayName: Nimbus billing account" in described.stdout

    shown = json.loads(ok(run, f"billing projects describe {project} --format json").stdout)
    assert shown == {
        "name": f"projects/{project}/billingInfo",
        "projectId": project,
        "billingAccountName": f"billingAccounts/{account}",
        "billingEnabled": True,
    }
    unlinked = ok(run, f"billing projects unlink {project}")
    assert "billingEnabled: false" in unlinked.stdout
    refused = nimbus(run, f"compute disks create d-1 --zone {ZONE} --size 200GB")
    line = failed_in_one_line(refused, "compute.disks.create")
    assert "cannot accept requests to insert while in an inactive billing state" in line

    linked = ok(run, f"billing projects link {project} --billing-account {account}")
    assert "billingEnabled: true" in linked.stdout
    members = ok(
        run, f"billing projects list --billing-account {account} --format value(projectId)"
    )
    assert project in members.stdout.split()


def test_budget_create_list_describe_delete_with_alerts(
    run: Cli, project: str, server: NimbusServer
) -> None:
    account = _default_account(run)
    created = ok(
        run,
        f"billing budgets create --billing-account {account} --display-name tiny "
        "--budget-amount 0.000001USD --threshold-rule percent=0.5 "
        "--threshold-rule percent=1.0,basis=forecasted-spend "
        f"--filter-projects projects/{project} --filter-services services/6F81-5844-456A "
        "--webhook-url http://127.0.0.1:9/unused --format json",
    )
    budget = json.loads(created.stdout)
    budget_id = budget["name"].rsplit("/", 1)[-1]
    assert "Created budget [" in created.stderr
    assert budget["amount"]["specifiedAmount"] == {
        "currencyCode": "USD",
        "units": "0",
        "nanos": 1000,
    }
    assert budget["thresholdRules"][1] == {
        "thresholdPercent": 1.0,
        "spendBasis": "FORECASTED_SPEND",
    }
    assert budget["notificationsRule"]["webhookUrl"] == "http://127.0.0.1:9/unused"

    listed = ok(run, f"billing budgets list --billing-account {account}")
    assert listed.stdout.splitlines()[0].split() == [
        "BUDGET_ID",
        "DISPLAY_NAME",
        "AMOUNT",
        "PERIOD",
        "ALERTS",
    ]
    row = next(line for line in listed.stdout.splitlines() if line.startswith(budget_id))
    assert row.split()[1:] == ["tiny", "0.00", "USD", "month", "-"]

    # A running instance spends a millionth of a dollar within a second.
    ok(run, f"compute instances create spender --zone {ZONE} --machine-type e2-small")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        httpx.post(f"{server.url}/_nimbus/test/v1/budgets:evaluate", timeout=30)
        described = ok(
            run, f"billing budgets describe {budget_id} --billing-account {account} --format json"
        )
        alerts = json.loads(described.stdout)["alerts"]
        if any(a["spendBasis"] == "CURRENT_SPEND" for a in alerts):
            break
        assert time.monotonic() < deadline, "no alert came"
        time.sleep(0.5)
    # (Late in a month, the forecast may pass 100% as well.)
    current = [a for a in alerts if a["spendBasis"] == "CURRENT_SPEND"]
    assert [a["thresholdPercent"] for a in current] == [0.5]
    assert not current[0]["delivered"]  # nothing listens on port 9
    row = next(
        line
        for line in ok(run, f"billing budgets list --billing-account {account}").stdout.splitlines()
        if line.startswith(budget_id)
    )
    assert "50%" in row.split()[-1].split(",")
    yaml = ok(run, f"billing budgets describe billingAccounts/{account}/budgets/{budget_id}")
    described_before = ok(
        run, f"billing budgets describe {budget_id} --billing-account {account} --format json"
    ).stdout
    assert "alerts:" in yaml.stdout and "thresholdPercent: 0.5" in yaml.stdout

    # gcloud's update: only the fields given change.
    updated = ok(
        run,
        f"billing budgets update {budget_id} --billing-account {account} "
        "--display-name roomier --budget-amount 250USD --threshold-rule percent=0.8 --format json",
    )
    changed = json.loads(updated.stdout)
    assert changed["displayName"] == "roomier"
    assert changed["amount"]["specifiedAmount"]["units"] == "250"
    assert [r["thresholdPercent"] for r in changed["thresholdRules"]] == [0.8]
    assert changed["budgetFilter"] == json.loads(described_before)["budgetFilter"]
    nothing = nimbus(run, f"billing budgets update {budget_id} --billing-account {account}")
    assert "Nothing to update" in failed_in_one_line(nothing, "billing.budgets.update")

    ok(run, f"billing budgets delete {budget_id} --billing-account {account} --quiet")
    gone = nimbus(run, f"billing budgets describe {budget_id} --billing-account {account}")
    assert "was not found" in failed_in_one_line(gone, "billing.budgets.describe")


@pytest.mark.parametrize(
    ("line", "command", "says"),
    [
        ("billing budgets create --billing-account X --display-name n", "create", "Exactly one"),
        (
            "billing budgets create --billing-account X --display-name n --budget-amount ten",
            "create",
            "--budget-amount",
        ),
        (
            "billing budgets create --billing-account X --display-name n --budget-amount 1USD "
            "--threshold-rule percent=half",
            "create",
            "--threshold-rule",
        ),
        (
            "billing budgets create --billing-account X --display-name n --budget-amount 1USD "
            "--calendar-period week",
            "create",
            "--calendar-period",
        ),
        ("billing budgets describe some-budget", "describe", "--billing-account"),
        ("billing accounts describe not-an-account", "describe", "Invalid billing account name"),
    ],
)
def test_bad_input_is_one_line(run: Cli, line: str, command: str, says: str) -> None:
    group = "billing.accounts" if " accounts " in f" {line} " else "billing.budgets"
    assert says in failed_in_one_line(nimbus(run, line), f"{group}.{command}")
