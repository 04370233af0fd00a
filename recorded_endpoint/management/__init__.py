"""The recorded endpoint's management plane: Azure Resource Manager (ARM) routes for lessons 01, 02 and 11.

:class:`ManagementPlane` keeps resource groups, Foundry (``AIServices``) accounts, model deployments and role
assignments in memory and answers the real ``azure-mgmt-resource``, ``azure-mgmt-cognitiveservices`` and
``azure-mgmt-authorization`` clients the way ARM does. One module per resource type:

=====================  ===========================================================================
``resource_groups``    resource groups, and the resources listed in one
``accounts``           Foundry accounts and ``listKeys``
``models``             the model catalogue: models per region, lifecycle status, what can be deployed
``deployments``        model deployments, with the catalogue and quota checks
``role_assignments``   role assignments on a group or an account
``operations``         the long-running operations the SDKs poll
``checks``             what every request must carry: a signed token, a subscription id, an api-version
``errors``             ARM's error bodies, and the Starlette exception handlers that render them
``body``, ``state``    reading a request body within limits; per-learner state; what a handler is given
=====================  ===========================================================================

**Who may call.** Only a recorded Entra ID token for ``management.azure.com`` signed with the server's key
(:func:`recorded_endpoint.identity.verify_token`): without the room key nobody gets in, and
:meth:`ManagementPlane.keys_for` never hands the room key out.

**Per-learner state.** Each learner has their own resources, so one learner's lesson 11 cannot delete the
resource group another learner's lesson 02 shows. A request's learner is, in this order:

1. the ``x-ms-client-principal-name`` header, when a client sends one (any azure-mgmt client does with
   ``headers={"x-ms-client-principal-name": "ada"}`` passed to its constructor; useful when several learners
   share one machine, e.g. a JupyterHub);
2. otherwise the client's IP address: in a workshop room every learner's laptop has its own.

Within a learner, state is keyed by subscription as in ARM. At most ``MAX_LEARNERS`` learners are kept (the
least recently active is forgotten first), each with the per-kind limits of :data:`.state.LIMITS` (10 groups,
10 accounts, 20 deployments, 50 role assignments: one learner at every limit holds about 1 MB). The
in-memory log of calls (:attr:`ManagementPlane.calls`) holds the last ``MAX_LOGGED_CALLS`` authenticated
requests only.

Bodies follow real ARM recordings (``Azure/azure-cli`` cognitiveservices recordings, 2025-10-28) or public
answers where one exists; where none was found the text is *authored to ARM's documented error format*, and
the code says so.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..constants import DEFAULT_API_KEY
from . import accounts, deployments, models, operations, resource_groups, role_assignments
from .checks import MANAGEMENT_AUDIENCE, authenticate, check_api_version, check_subscription
from .errors import EXCEPTION_HANDLERS, ArmError
from .state import Behaviour, Call, LearnerState

# Not secrets: with the public default key, key1 *is* that key, so lesson 02's keys work on the data plane.
RECORDED_API_KEYS = (DEFAULT_API_KEY, f"{DEFAULT_API_KEY}-2")
LEARNER_HEADER = "x-ms-client-principal-name"
MAX_LEARNERS = 100
MAX_LOGGED_CALLS = 1000
METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]
RESOURCE_MODULES = (resource_groups, operations, models, accounts, deployments, role_assignments)
Handler = Callable[..., Any]


class ManagementPlane:
    """In-memory Azure Resource Manager for the course's resources. Mount ``.routes`` in a Starlette app.

    ``api_key`` is the server's key: tokens must be signed with it. ``deployment_lro`` and
    ``polls_before_success`` choose how long-running operations answer (:class:`.state.Behaviour`); ``now``
    is the clock (the catalogue's lifecycle status depends on the date).
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        deployment_lro: str = "async-operation",
        polls_before_success: int = 1,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.api_key = api_key
        self.behaviour = Behaviour(deployment_lro, polls_before_success)
        self.now = now or (lambda: datetime.now(UTC))
        self._key_salt = secrets.token_bytes(16)  # fake keys differ per server run and reveal nothing
        self._router = Router(routes=_routes(entry for module in RESOURCE_MODULES for entry in module.ROUTES))
        self._router.redirect_slashes = False  # a redirect would be built from the Host header
        endpoint = ArmHeaders(ExceptionMiddleware(self._asgi, handlers=EXCEPTION_HANDLERS))
        route = Route("/subscriptions/{path:path}", endpoint, methods=METHODS)
        route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)  # ARM paths ignore case
        self.routes = [route]
        self.reset()

    # ----------------------------------------------------------------- settings tests change

    @property
    def deployment_lro(self) -> str:
        return self.behaviour.deployment_lro

    @deployment_lro.setter
    def deployment_lro(self, value: str) -> None:
        self.behaviour = Behaviour(value, self.behaviour.polls_before_success)

    @property
    def polls_before_success(self) -> int:
        return self.behaviour.polls_before_success

    @polls_before_success.setter
    def polls_before_success(self, value: int) -> None:
        self.behaviour.polls_before_success = value

    # ----------------------------------------------------------------- state

    def reset(self) -> None:
        """Forget every learner's resources and pending operations, and the log of calls."""
        self.learners: OrderedDict[str, LearnerState] = OrderedDict()
        self._calls: deque[str] = deque(maxlen=MAX_LOGGED_CALLS)

    @property
    def calls(self) -> list[str]:
        """``"METHOD /path"`` of the last authenticated requests, oldest first (for tests and debugging)."""
        return list(self._calls)

    def learner(self, name: str) -> LearnerState:
        """The state of learner ``name``, created on first use; the least recently active beyond
        ``MAX_LEARNERS`` is forgotten."""
        state = self.learners.get(name)
        if state is None:
            state = self.learners[name] = LearnerState()
            while len(self.learners) > MAX_LEARNERS:
                self.learners.popitem(last=False)
        self.learners.move_to_end(name)
        return state

    def _merged(self, store: str) -> dict[tuple, Any]:
        return {(name, k): v for name, s in self.learners.items() for k, v in getattr(s, store).items()}

    @property
    def groups(self) -> dict[tuple, Any]:
        """All learners' resource groups, keyed by ``(learner, key)`` (read-only view for tests)."""
        return self._merged("groups")

    @property
    def accounts(self) -> dict[tuple, Any]:
        return self._merged("accounts")

    @property
    def deployments(self) -> dict[tuple, Any]:
        return self._merged("deployments")

    @property
    def role_assignments(self) -> dict[tuple, Any]:
        return self._merged("role_assignments")

    @property
    def operations(self) -> dict[tuple, Any]:
        return self._merged("operations")

    def keys_for(self, account_id: str) -> tuple[str, str]:
        """``listKeys``: the public default key (which the data plane accepts) when the server runs with it;
        otherwise keys that are plainly fake, so the room key is never handed out."""
        if self.api_key == DEFAULT_API_KEY:
            return RECORDED_API_KEYS
        digest = hmac.new(self._key_salt, account_id.lower().encode(), hashlib.sha256).hexdigest()
        return f"recorded-fake-key1-{digest[:20]}", f"recorded-fake-key2-{digest[20:40]}"

    # ----------------------------------------------------------------- request handling

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        path = request.url.path.rstrip("/")
        authenticate(request, self.api_key)
        self._calls.append(f"{request.method} {path}"[:300])
        check_subscription(path)
        check_api_version(request)
        learner = request.headers.get(LEARNER_HEADER) or (request.client.host if request.client else "")
        scope["recorded.call"] = Call(request, self.learner(learner[:128]), self.behaviour, self.now, self.keys_for)
        await self._router({**scope, "path": path or "/", "path_params": {}}, receive, send)


# Headers on every ARM answer of the Azure CLI's recording (2025-10-28) that carry no per-account value [R],
# plus ARM's per-request ids (stripped from that recording) [D].
ARM_HEADERS = {
    "cache-control": "no-cache",
    "pragma": "no-cache",
    "expires": "-1",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
}


class ArmHeaders:
    """ASGI wrapper adding :data:`ARM_HEADERS` and fresh ``x-ms-request-id`` / ``x-ms-correlation-request-id``
    to each answer (a class, so Starlette's ``Route`` serves it as an ASGI app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                request_id = str(uuid.uuid4())
                for name, value in {**ARM_HEADERS, "x-ms-request-id": request_id}.items():
                    headers.setdefault(name, value)
                headers.setdefault("x-ms-correlation-request-id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _routes(table: Iterable[tuple[str, str, Handler]]) -> list[Route]:
    """One Starlette route per ARM path, matched without regard to case, calling the handler of the request's
    method as ``handler(call, **path_params)``. A method the path lacks gets Starlette's 405 with ``Allow``."""
    by_path: dict[str, dict[str, Handler]] = {}
    for method, path, handler in table:
        by_path.setdefault(path, {})[method] = handler
    routes = []
    for path, handlers in by_path.items():
        route = Route(path, _endpoint(handlers), methods=list(handlers))
        route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)
        routes.append(route)
    return routes


def _endpoint(handlers: dict[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method) or handlers["GET"]  # Starlette routes HEAD to a GET route
        return await handler(request.scope["recorded.call"], **request.path_params)

    return endpoint


__all__ = ["MANAGEMENT_AUDIENCE", "RECORDED_API_KEYS", "ArmError", "ManagementPlane"]
