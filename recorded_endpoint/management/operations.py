"""Long-running operations (LROs), as ARM reports them to the SDKs' pollers.

* An account (or deployment) PUT answers ``201`` + ``Azure-AsyncOperation``; that URL reports ``Creating``
  and then ``Succeeded`` [R] (``Azure/azure-cli`` cognitiveservices recording, 2025-10-28).
* A resource group DELETE answers ``202`` + ``Location``; that URL answers ``202`` until the group is gone,
  then ``200``.

Every poll sends ``Retry-After: 0``: the recorded endpoint never makes a client wait.
"""

from __future__ import annotations

from starlette.responses import Response

from .errors import ArmError, ArmJSONResponse
from .paths import COGNITIVE, SUB
from .state import Call, Operation

OPERATION_API_VERSION = "2017-04-18"  # what Cognitive Services puts in its operationResults URLs [R]
NO_WAIT = {"Retry-After": "0"}


def async_operation_url(call: Call, sub: str, location: str, operation: Operation) -> str:
    """The ``Azure-AsyncOperation`` URL of a Cognitive Services operation, on the host the client used."""
    return (
        f"{call.base_url}subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/"
        f"{location}/operationResults/{operation.id}?api-version={OPERATION_API_VERSION}"
    )


def location_url(call: Call, sub: str, operation: Operation) -> str:
    """The ``Location`` URL of a Resource Manager operation (a resource group delete)."""
    return f"{call.base_url}subscriptions/{sub}/operationresults/{operation.id}?api-version={call.api_version}"


def find_operation(call: Call, op: str) -> Operation:
    operation = call.state.operations.get(op.lower())
    if operation is None:
        # Authored to ARM's documented error format.
        raise ArmError(
            404,
            "NotFound",
            f"The operation '{op}' was not found. Operations live only as long as the recorded endpoint "
            "that started them.",
        )
    return operation


async def get_async_operation(call: Call, sub: str, loc: str, op: str) -> Response:
    operation = find_operation(call, op)
    call.observe(operation)
    body = {
        "id": f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}/"
        f"operationResults/{operation.id}",
        "name": operation.id,
        "status": operation.status,
        "startTime": operation.started,
    }
    if operation.ended:
        body["endTime"] = operation.ended
    return ArmJSONResponse(body, headers=NO_WAIT)


async def get_location_operation(call: Call, sub: str, op: str) -> Response:
    operation = find_operation(call, op)
    call.observe(operation)
    if operation.ended is None:
        return Response(status_code=202, headers={"Location": str(call.request.url), **NO_WAIT})
    return Response(status_code=200, headers=NO_WAIT)


ROUTES = [
    ("GET", SUB + "/operationresults/{op}", get_location_operation),
    ("GET", SUB + COGNITIVE + "/locations/{loc}/operationresults/{op}", get_async_operation),
]
