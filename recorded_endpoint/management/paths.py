"""ARM path templates, in Starlette's ``{param}`` syntax. The plane matches them without regard to case, as
ARM does (``/resourceGroups/`` and ``/resourcegroups/`` are the same path)."""

SUB = "/subscriptions/{sub}"
RG = SUB + "/resourcegroups/{rg}"
COGNITIVE = "/providers/microsoft.cognitiveservices"
ACCOUNT = RG + COGNITIVE + "/accounts/{account}"


def account_id(sub: str, rg: str, account: str) -> str:
    """The ARM id of an account, spelled as ARM spells it."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{account}"
