"""Budgets (Budget API v1): the official client, Google's validation, and alerts that
fire once per threshold as spend grows, with a webhook on loopback receiving each."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import pytest
from google.cloud.billing import budgets_v1
from google.oauth2 import service_account
from google.protobuf import field_mask_pb2
from google.type import money_pb2

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import assert_google_error
from tests.integration.test_billing_accounts import DEBIAN_12, default_account
from tests.servers import NimbusServer, running_server

pytestmark = pytest.mark.integration
Session = google.auth.transport.requests.AuthorizedSession
ZONE = "us-central1-a"
WAIT_SECONDS = 30


# -- the official client ---------------------------------------------------------------


@pytest.fixture
def budgets_client(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> Iterator[budgets_v1.BudgetServiceClient]:
    client = budgets_v1.BudgetServiceClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )
    with client:
        yield client


def test_official_client_creates_lists_updates_and_deletes_a_budget(
    budgets_client: budgets_v1.BudgetServiceClient,
    server: NimbusServer,
    owner: Session,
    project: str,
) -> None:
    account = default_account(server, owner)
    number = owner.get(f"{server.url}/v1/projects/{project}").json()["projectNumber"]
    budget = budgets_v1.Budget(
        display_name="Course budget",
        budget_filter=budgets_v1.Filter(
            projects=[f"projects/{project}"],
            services=["services/6F81-5844-456A"],
            calendar_period=budgets_v1.CalendarPeriod.QUARTER,
        ),
        amount=budgets_v1.BudgetAmount(
            specified_amount=money_pb2.Money(currency_code="USD", units=100, nanos=500_000_000)
        ),
        threshold_rules=[
            budgets_v1.ThresholdRule(threshold_percent=0.8),
            budgets_v1.ThresholdRule(
                threshold_percent=1.0,
                spend_basis=budgets_v1.ThresholdRule.Basis.FORECASTED_SPEND,
            ),
        ],
    )
    created = budgets_client.create_budget(parent=account, budget=budget)
    assert created.name.startswith(f"{account}/budgets/")
    assert list(created.budget_filter.projects) == [f"projects/{number}"]
    assert created.budget_filter.calendar_period == budgets_v1.CalendarPeriod.QUARTER
    assert created.amount.specified_amount.units == 100
    assert created.amount.specified_amount.nanos == 500_000_000
    assert [r.spend_basis for r in created.threshold_rules] == [
        budgets_v1.ThresholdRule.Basis.CURRENT_SPEND,
        budgets_v1.ThresholdRule.Basis.FORECASTED_SPEND,
    ]
    assert created.etag

    listed = {b.name for b in budgets_client.list_budgets(parent=account)}
    assert created.name in listed
    assert budgets_client.get_budget(name=created.name).display_name == "Course budget"

    renamed = budgets_client.update_budget(
        budget=budgets_v1.Budget(name=created.name, display_name="Renamed"),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
    )
    assert renamed.display_name == "Renamed" and renamed.etag != created.etag
    assert renamed.amount.specified_amount.units == 100  # not in the mask: kept

    budgets_client.delete_budget(name=created.name)
    assert created.name not in {b.name for b in budgets_client.list_budgets(parent=account)}


def test_budget_defaults_and_googles_validation(
    server: NimbusServer, owner: Session, project: str
) -> None:
    account = default_account(server, owner)
    url = f"{server.url}/v1/{account}/budgets"
    made = owner.post(url, json={"amount": {"specifiedAmount": {"units": "10"}}})
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["budgetFilter"] == {
        "creditTypesTreatment": "INCLUDE_ALL_CREDITS",
        "calendarPeriod": "MONTH",
    }
    assert body["amount"] == {"specifiedAmount": {"currencyCode": "USD", "units": "10"}}
    assert [r["thresholdPercent"] for r in body["thresholdRules"]] == [0.5, 0.9, 1.0]
    assert {r["spendBasis"] for r in body["thresholdRules"]} == {"CURRENT_SPEND"}
    assert body["alerts"] == []

    custom = {"customPeriod": {"startDate": {"year": 2026, "month": 1, "day": 1}}}
    bad_bodies: list[dict[str, Any]] = [
        {},  # no amount
        {"amount": {"specifiedAmount": {"units": "1", "currencyCode": "EUR"}}},
        {"amount": {"lastPeriodAmount": {}}, "budgetFilter": custom},
        {
            "amount": {"specifiedAmount": {"units": "1"}},
            "budgetFilter": custom,
            "thresholdRules": [{"thresholdPercent": 0.5, "spendBasis": "FORECASTED_SPEND"}],
        },
        {
            "amount": {"specifiedAmount": {"units": "1"}},
            "budgetFilter": {**custom, "calendarPeriod": "MONTH"},
        },
        {
            "amount": {"specifiedAmount": {"units": "1"}},
            "budgetFilter": {"projects": ["projects/no-such-project-here"]},
        },
        {
            "amount": {"specifiedAmount": {"units": "1"}},
            "budgetFilter": {"services": ["compute"]},
        },
        {
            "amount": {"specifiedAmount": {"units": "1"}},
            "notificationsRule": {"webhookUrl": "ftp://127.0.0.1/x"},
        },
        {
            "amount": {"specifiedAmount": {"units": "1"}},
            "thresholdRules": [{"thresholdPercent": -1}],
        },
        {"amount": {"specifiedAmount": {"units": "1"}}, "displayName": "x" * 61},
        {"amount": {"specifiedAmount": {"units": "1"}}, "surprise": True},
    ]
    for bad in bad_bodies:
        assert_google_error(owner.post(url, json=bad), 400)

    name = body["name"]
    stale = owner.patch(
        f"{server.url}/v1/{name}",
        params={"updateMask": "displayName"},
        json={"displayName": "n", "etag": "stale-etag"},
    )
    assert assert_google_error(stale, 409)["status"] == "ABORTED"
    moved = owner.patch(
        f"{server.url}/v1/{name}",
        params={"updateMask": "budgetFilter.customPeriod,amount"},
        json={"budgetFilter": custom, "amount": {"specifiedAmount": {"units": "20"}}},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["budgetFilter"]["customPeriod"] == {
        "startDate": {"year": 2026, "month": 1, "day": 1}
    }
    assert "calendarPeriod" not in moved.json()["budgetFilter"]
    assert moved.json()["amount"]["specifiedAmount"]["units"] == "20"
    assert owner.delete(f"{server.url}/v1/{name}").status_code == 200
    assert_google_error(owner.get(f"{server.url}/v1/{name}"), 404)


# -- alerts ----------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on loopback: every POST it got, headers and JSON body."""

    def __init__(self) -> None:
        received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append((dict(self.headers), json.loads(self.rfile.read(length))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/budget-alerts"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[NimbusServer, Session]]:
    """A server of its own, whose world clock this test advances."""
    with running_server(tmp_path / "data", ["--enable-test-controls"]) as running:
        credentials = service_account.Credentials.from_service_account_file(
            str(running.owner_key), scopes=[CLOUD_PLATFORM]
        )
        with Session(credentials) as session:
            yield running, session


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def test_alerts_fire_once_per_threshold_and_reach_the_webhook(
    own_server: tuple[NimbusServer, Session],
) -> None:
    server, owner = own_server
    project = unique_id("budget")
    assert owner.post(f"{server.url}/v1/projects", json={"projectId": project}).status_code == 200
    account = default_account(server, owner)
    test = f"{server.url}/_nimbus/test/v1"
    now = dt.datetime.fromisoformat(owner.get(f"{test}/clock").json()["now"].replace("Z", "+00:00"))
    # A custom period from yesterday: no month boundary can reset the spend mid-test.
    start = (now - dt.timedelta(days=1)).date()

    def evaluate() -> None:
        assert owner.post(f"{test}/budgets:evaluate", json={}).status_code == 200

    def advance(hours: int) -> None:
        assert (
            owner.post(f"{test}/clock:advance", json={"seconds": hours * 3600}).status_code == 200
        )

    with Receiver() as receiver:
        created = owner.post(
            f"{server.url}/v1/{account}/budgets",
            json={
                "displayName": "One dollar",
                "budgetFilter": {
                    "projects": [f"projects/{project}"],
                    "customPeriod": {
                        "startDate": {"year": start.year, "month": start.month, "day": start.day}
                    },
                },
                "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "1"}},
                "thresholdRules": [{"thresholdPercent": 0.5}, {"thresholdPercent": 1.0}],
                "notificationsRule": {"webhookUrl": receiver.url},
            },
        )
        assert created.status_code == 200, created.text
        budget = f"{server.url}/v1/{created.json()['name']}"

        # An e2-standard-2 (about 0.07 USD an hour with its disk) runs on.
        compute = f"{server.url}/compute/v1/projects/{project}/zones/{ZONE}/instances"
        inserted = owner.post(compute, json=_instance("spender", "e2-standard-2"))
        assert inserted.status_code == 200, inserted.text
        eventually(
            lambda: owner.get(f"{compute}/spender").json().get("status") == "RUNNING",
            "the instance to run",
        )
        evaluate()
        assert owner.get(budget).json()["alerts"] == [] and receiver.received == []

        advance(10)  # about 0.68 USD: past 50%
        evaluate()
        eventually(lambda: len(receiver.received) == 1, "the 50% alert")
        evaluate()
        evaluate()
        alerts = owner.get(budget).json()["alerts"]
        assert [a["thresholdPercent"] for a in alerts] == [0.5]
        assert alerts[0]["spendBasis"] == "CURRENT_SPEND" and alerts[0]["delivered"]
        assert 0.5 <= alerts[0]["costAmount"] < 1.0 and alerts[0]["budgetAmount"] == 1.0

        advance(10)  # about 1.35 USD: past 100%
        evaluate()
        eventually(lambda: len(receiver.received) == 2, "the 100% alert")
        evaluate()
        evaluate()
        alerts = owner.get(budget).json()["alerts"]
        assert [a["thresholdPercent"] for a in alerts] == [0.5, 1.0]
        assert all(a["delivered"] for a in alerts)
        assert len(receiver.received) == 2

    (_, first), (headers, second) = receiver.received
    assert first["alertThresholdExceeded"] == 0.5
    assert second == {
        "budgetDisplayName": "One dollar",
        "alertThresholdExceeded": 1.0,
        "costAmount": second["costAmount"],
        "costIntervalStart": f"{start.isoformat()}T00:00:00Z",
        "budgetAmount": 1.0,
        "budgetAmountType": "SPECIFIED_AMOUNT",
        "currencyCode": "USD",
    }
    assert second["costAmount"] >= 1.0
    assert headers["Budget-Id"] == created.json()["name"].rsplit("/", 1)[-1]
    assert headers["Budget-Billing-Account-Id"] == account.split("/")[1]


def _instance(name: str, machine_type: str) -> dict[str, Any]:
    return {
        "name": name,
        "machineType": f"zones/{ZONE}/machineTypes/{machine_type}",
        "disks": [
            {"boot": True, "autoDelete": True, "initializeParams": {"sourceImage": DEBIAN_12}}
        ],
        "networkInterfaces": [{"network": "global/networks/default"}],
    }
