"""What the Resource Manager remembers for one learner, and what a route handler is given for one request.

State is kept per learner (see the package docstring for how a request names its learner), in plain dicts
keyed by lower-case ARM names, because ARM compares names without regard to case. Each store is bounded, so
a room of learners (or one script in a loop) cannot grow the server's memory without limit.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request

from .body import read_json_object
from .errors import quota_of_resources

# Per learner. A lesson creates one group, one account, one deployment and one role assignment.
LIMITS = {"resource groups": 10, "accounts": 10, "deployments": 20, "role assignments": 50}
MAX_OPERATIONS = 200  # per learner; long-running operations beyond this are forgotten, oldest first

Key = tuple[str, ...]


def key(*names: str) -> Key:
    """ARM names are case-insensitive: state is keyed by lower-case names."""
    return tuple(name.lower() for name in names)


@dataclass
class Operation:
    """A long-running operation. It finishes after ``polls_left`` more observations."""

    id: str
    started: str
    polls_left: int
    finish: Callable[[], None]
    status: str = "Creating"
    ended: str | None = None


@dataclass
class Behaviour:
    """How the plane answers, shared by all learners (tests change it between cases).

    ``deployment_lro``: ``"async-operation"`` (201 + Azure-AsyncOperation, "Creating" then "Succeeded") or
    ``"immediate"`` (201 with "Succeeded", as in the recorded CLI run). ``polls_before_success``: how many
    polls an operation reports as still running.
    """

    deployment_lro: str = "async-operation"
    polls_before_success: int = 1

    def __post_init__(self) -> None:
        if self.deployment_lro not in ("async-operation", "immediate"):
            raise ValueError("deployment_lro must be 'async-operation' or 'immediate'")


@dataclass
class LearnerState:
    """One learner's resources and pending operations."""

    groups: dict[Key, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[Key, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[Key, dict[str, Any]] = field(default_factory=dict)
    role_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: OrderedDict[str, Operation] = field(default_factory=OrderedDict)
    pending: dict[Key, str] = field(default_factory=dict)  # resource key -> id of the operation creating it

    def check_room(self, kind: str, store: dict, new_key: object) -> None:
        """Refuse to store one more ``kind`` past its limit (updates of an existing resource always pass)."""
        if new_key not in store and len(store) >= LIMITS[kind]:
            raise quota_of_resources(kind, LIMITS[kind])

    def remove_under(self, prefix: Key, scope: str) -> None:
        """Forget every account and deployment whose key starts with ``prefix`` and every role assignment at
        or under ARM ``scope`` (what deleting a group or an account takes with it)."""
        for store in (self.accounts, self.deployments):
            for stored in [k for k in store if k[: len(prefix)] == prefix]:
                del store[stored]
        for name in [n for n, a in self.role_assignments.items() if within(a["properties"]["scope"], scope)]:
            del self.role_assignments[name]

    def add_operation(self, operation: Operation, resource: Key) -> None:
        """Remember ``operation`` as the one creating (or deleting) ``resource``; past ``MAX_OPERATIONS`` the
        oldest is forgotten (a resource whose operation was never polled that long ago stays as it was)."""
        self.operations[operation.id] = operation
        self.pending[resource] = operation.id
        while len(self.operations) > MAX_OPERATIONS:
            self.operations.popitem(last=False)
        for resource_key in [k for k, op in self.pending.items() if op not in self.operations]:
            del self.pending[resource_key]

    def running_operation(self, resource: Key) -> Operation | None:
        operation = self.operations.get(self.pending.get(resource, ""))
        return operation if operation is not None and operation.ended is None else None


def within(scope: str, parent: str) -> bool:
    """True if ``scope`` is ``parent`` or lies under it (``/rg-a`` is not under ``/rg``)."""
    scope, parent = scope.lower().rstrip("/"), parent.lower().rstrip("/")
    return scope == parent or scope.startswith(parent + "/")


@dataclass
class Call:
    """What a route handler gets: the request, the learner's state, the plane's behaviour and clock."""

    request: Request
    state: LearnerState
    behaviour: Behaviour
    now: Callable[[], datetime]
    keys_for: Callable[[str], tuple[str, str]]  # account id -> (key1, key2) that listKeys answers

    async def json(self) -> dict[str, Any]:
        return await read_json_object(self.request)

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT/``: absolute URLs point at the host the client used."""
        return str(self.request.base_url)

    @property
    def api_version(self) -> str:
        return self.request.query_params["api-version"]

    def timestamp(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def system_data(self) -> dict[str, str]:
        stamp = self.timestamp()
        return {
            "createdBy": "learner@example.com",
            "createdByType": "User",
            "createdAt": stamp,
            "lastModifiedBy": "learner@example.com",
            "lastModifiedByType": "User",
            "lastModifiedAt": stamp,
        }

    def start_operation(self, finish: Callable[[], None], resource: Key) -> Operation:
        operation = Operation(str(uuid.uuid4()), self.timestamp(), self.behaviour.polls_before_success, finish)
        self.state.add_operation(operation, resource)
        return operation

    def observe(self, operation: Operation) -> None:
        """Each look at a running operation (a poll, or a GET of its resource) moves it one step on."""
        if operation.ended is not None:
            return
        if operation.polls_left > 0:
            operation.polls_left -= 1
            return
        operation.finish()
        operation.status, operation.ended = "Succeeded", self.timestamp()

    def observe_resource(self, resource: Key) -> None:
        operation_id = self.state.pending.get(resource)
        if operation_id in self.state.operations:
            self.observe(self.state.operations[operation_id])


def etag() -> str:
    return f'"{uuid.uuid4()}"'
