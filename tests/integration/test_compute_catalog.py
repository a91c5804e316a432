"""Machine types through the official google-cloud-compute client."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.servers import NimbusServer


@pytest.fixture
def machine_types(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> compute_v1.MachineTypesClient:
    return compute_v1.MachineTypesClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )


@pytest.mark.parametrize(
    ("name", "cpus", "memory_mb", "shared"),
    [
        ("e2-micro", 2, 1024, True),
        ("e2-medium", 2, 4096, True),
        ("e2-standard-2", 2, 8192, False),
        ("e2-highmem-4", 4, 32768, False),
        ("n1-standard-1", 1, 3840, False),
        ("n1-standard-8", 8, 30720, False),
        ("n2-standard-16", 16, 65536, False),
        ("custom-4-16384", 4, 16384, False),
    ],
)
def test_catalog_figures(
    machine_types: compute_v1.MachineTypesClient,
    project: str,
    name: str,
    cpus: int,
    memory_mb: int,
    shared: bool,
) -> None:
    found = machine_types.get(project=project, zone="europe-west1-b", machine_type=name)
    assert (found.guest_cpus, found.memory_mb, found.is_shared_cpu) == (cpus, memory_mb, shared)
    assert found.zone == "europe-west1-b"


def test_list_and_aggregate(machine_types: compute_v1.MachineTypesClient, project: str) -> None:
    names = [t.name for t in machine_types.list(project=project, zone="us-central1-a")]
    assert {"e2-micro", "e2-small", "n1-standard-16", "n2-standard-2"} <= set(names)
    small = machine_types.list(
        request={"project": project, "zone": "us-central1-a", "filter": "name = e2-*"}
    )
    assert all(t.name.startswith("e2-") for t in small)
    aggregated = dict(machine_types.aggregated_list(project=project))
    assert "zones/asia-east1-c" in aggregated
    assert any(t.name == "e2-micro" for t in aggregated["zones/asia-east1-c"].machine_types)


def test_unknown_or_invalid_types(
    machine_types: compute_v1.MachineTypesClient, project: str
) -> None:
    with pytest.raises(exceptions.NotFound):
        machine_types.get(project=project, zone="us-central1-a", machine_type="z9-huge-7")
    for bad in ("custom-3-8192", "custom-2-1000", "custom-2-65536"):
        with pytest.raises(exceptions.BadRequest):
            machine_types.get(project=project, zone="us-central1-a", machine_type=bad)
    with pytest.raises(exceptions.NotFound):
        machine_types.list(project=project, zone="moon-1a")
