from __future__ import annotations

import pytest

from nimbus.core.errors import InvalidArgument
from nimbus.core.filters import compile_filter

ZONE = {"name": "europe-west9-b", "status": "UP", "labels": {"env": "prod"}, "cpus": 8}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (None, True),
        ("", True),
        ("name = europe-west9-b", True),
        ('name = "europe-west9-b"', True),
        ("name = europe-west9-c", False),
        ("name != europe-west9-c", True),
        ("name = europe-*", True),
        ("name eq europe-west\\d-b", True),
        ("name ne europe-.*", False),
        ("labels.env = prod", True),
        ("labels.env:PROD", True),
        ("labels.env:*", True),
        ("labels.team:*", False),
        ("labels.team != x", True),
        ("status = UP AND labels.env = prod", True),
        ("status = UP labels.env = dev", False),
        ("status = DOWN OR labels.env = prod", True),
        ("(status = DOWN OR name = x) AND cpus > 2", False),
        ("NOT status = DOWN", True),
        ("cpus >= 8", True),
        ("cpus < 10", True),
    ],
)
def test_filter_expressions(expression: str | None, expected: bool) -> None:
    assert compile_filter(expression)(ZONE) is expected


@pytest.mark.parametrize("expression", ["name =", "(name = a", "name = a)", "= a", "name ~ a"])
def test_malformed_filters_are_400(expression: str) -> None:
    with pytest.raises(InvalidArgument):
        compile_filter(expression)


def test_has_matches_words_of_urls() -> None:
    zone = {"region": "http://127.0.0.1:8080/compute/v1/projects/p/regions/us-east1"}
    assert compile_filter("region:us-east1")(zone)
    assert compile_filter("region:US-EAST1")(zone)
    assert not compile_filter("region:us-east")(zone)
    assert compile_filter("region:us-*")(zone)
