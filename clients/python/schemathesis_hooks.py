"""schemathesis hooks: keep the run's own admin account usable, and nothing else.

Every request of the run carries one admin token. The contract lets an admin demote,
rename, delete or revoke itself, and schemathesis learns the admin's name from `whoami`
and `GET /users`, so a generated case may do exactly that to the account the run depends
on; every later request would then be a 401 or 403 and the rest of the run would test
nothing.

So the cases that would change or remove that one account, or revoke its token, are not
sent. The same operations still run against every other account and token (the run
creates users through `POST /users` in all phases), and every check stays on.
"""

from __future__ import annotations

import os

import schemathesis

PROTECTED_USERNAME = os.environ["SACHET_PROTECTED_USERNAME"]
PROTECTED_TOKEN = os.environ["SACHET_PROTECTED_TOKEN"]

# Operations that change or remove the account named in the `username` path parameter.
ACCOUNT_CHANGING = {"patch_user", "replace_user", "delete_user", "revoke_user_tokens"}


@schemathesis.hook
def filter_case(context, case) -> bool:
    return spares_protected_account(case)


@schemathesis.hook
def before_add_examples(context, examples) -> None:
    # Cases built from the document's examples do not pass through `filter_case`.
    examples[:] = [case for case in examples if spares_protected_account(case)]


def spares_protected_account(case) -> bool:
    operation_id = case.operation.definition.raw.get("operationId")
    if operation_id in ACCOUNT_CHANGING:
        return (case.path_parameters or {}).get("username") != PROTECTED_USERNAME
    if operation_id == "logout" and isinstance(case.body, dict):
        return case.body.get("token") != PROTECTED_TOKEN
    return True
