"""Query parameters shared by the Cloud Storage methods."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from nimbus.api.auth import authenticated, scopes
from nimbus.services.caller import Caller
from nimbus.services.storage.preconditions import Preconditions

READ_SCOPES = scopes(
    "devstorage.read_only", "devstorage.read_write", "devstorage.full_control", read_only=True
)
WRITE_SCOPES = scopes("devstorage.read_write", "devstorage.full_control")
Reader = Annotated[Caller, Depends(authenticated(READ_SCOPES))]
Writer = Annotated[Caller, Depends(authenticated(WRITE_SCOPES))]
Owner = Annotated[Caller, Depends(authenticated(scopes("devstorage.full_control")))]


def preconditions(
    if_generation_match: Annotated[int | None, Query(alias="ifGenerationMatch")] = None,
    if_generation_not_match: Annotated[int | None, Query(alias="ifGenerationNotMatch")] = None,
    if_metageneration_match: Annotated[int | None, Query(alias="ifMetagenerationMatch")] = None,
    if_metageneration_not_match: Annotated[
        int | None, Query(alias="ifMetagenerationNotMatch")
    ] = None,
) -> Preconditions:
    return Preconditions(
        if_generation_match,
        if_generation_not_match,
        if_metageneration_match,
        if_metageneration_not_match,
    )


def source_preconditions(
    if_generation_match: Annotated[int | None, Query(alias="ifSourceGenerationMatch")] = None,
    if_generation_not_match: Annotated[
        int | None, Query(alias="ifSourceGenerationNotMatch")
    ] = None,
    if_metageneration_match: Annotated[
        int | None, Query(alias="ifSourceMetagenerationMatch")
    ] = None,
    if_metageneration_not_match: Annotated[
        int | None, Query(alias="ifSourceMetagenerationNotMatch")
    ] = None,
) -> Preconditions:
    return Preconditions(
        if_generation_match,
        if_generation_not_match,
        if_metageneration_match,
        if_metageneration_not_match,
    )


Conditions = Annotated[Preconditions, Depends(preconditions)]
SourceConditions = Annotated[Preconditions, Depends(source_preconditions)]
Generation = Annotated[int | None, Query()]
Projection = Annotated[str | None, Query()]
