"""Values shared by the server, the Resource Manager routes and the recorder.

They live here, apart from ``server.py``, so that the modules which need them import no server machinery
(and so no import cycle can form between the server and the routes it serves).
"""

from __future__ import annotations

DEFAULT_API_KEY = "recorded-endpoint-key"  # public on purpose: it guards nothing but a replay
LOOPBACK = ("127.0.0.1", "localhost", "::1")
RECORDED_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
RECORDED_TENANT_ID = "00000000-0000-0000-0000-000000000001"  # the tenant the az/azd stand-ins report
