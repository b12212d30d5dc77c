# Schemathesis checks for Liaison's APIs (loaded with SCHEMATHESIS_HOOKS=liaison_checks, PYTHONPATH=tests/fuzz).
# Every error response must be RFC 9457 problem+json carrying a code from the one registry
# (src/errors.ts), whose list the test writes to the file named by LIAISON_ERROR_CODES.
import json
import os

import schemathesis

with open(os.environ["LIAISON_ERROR_CODES"], encoding="utf-8") as f:
    CODES = frozenset(json.load(f))


@schemathesis.check
def registered_error_code(ctx, response, case):
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"{response.status_code} answered without a JSON problem body")
    code = body.get("code") if isinstance(body, dict) else None
    if code not in CODES:
        raise AssertionError(f"{response.status_code} answered with code {code!r}, which src/errors.ts does not register")
    return None
