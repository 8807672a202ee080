"""`Idempotency-Key` for the calls that act or cost money, on the one "act once" record of the pages.

The first request with a key takes the key (providers.once.start_action, committed before the provider
is called) and stores its answer; any later request with the key gets that answer again, marked
`Idempotent-Replayed: true`, and the provider is not called. The same key with another body (or for
another endpoint) is refused with 422; while the first request still runs, another gets 409.
Keys belong to the token: two tokens never share one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.responses import NinjaJSONEncoder

from api.endpoints.common import tenant_secrets
from api.problems import CONTENT_TYPE, Problem, from_provider_error, invalid, problem_response
from provider_api.errors import ProviderError, UnavailableError
from providers.once import ActionRecord, start_action

HEADER = "Idempotency-Key"
# A first request still "acting" after this long died with its process: its outcome is unknown.
STILL_RUNNING_FOR = timedelta(minutes=2)
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,40}")
# The `openapi_extra` of an endpoint that acts once per key: the header in its OpenAPI description.
ACTS_ONCE = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": True,
            "description": "Your key for this one action (e.g. a UUID): sent again, it answers the first outcome",
            "schema": {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"},
        }
    ]
}


def _fingerprint(request: HttpRequest, body: dict) -> str:
    canonical = json.dumps([request.method, request.path, body], sort_keys=True, cls=NinjaJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer(status: int, body: dict, *, replayed: bool) -> HttpResponse:
    content_type = CONTENT_TYPE if status >= 400 else "application/json"
    response = HttpResponse(json.dumps(body), status=status, content_type=content_type)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def act_once(
    request: HttpRequest,
    kind: str,
    body: dict,
    act: Callable[[ActionRecord], tuple[int, dict]],
    *,
    chosen_secrets: tuple[str, ...] = (),
) -> HttpResponse:
    """Run `act` at most once per Idempotency-Key: given the action's record, it checks the request and
    calls the provider through a service, and returns (status, answer); a refusal after the provider was
    called is an answer too (`problem_body`), kept and replayed like a success. `body` is the request as
    the endpoint read it; `chosen_secrets` (e.g. a new password) are masked in the provider's words.

    A repeated key is answered before anything is checked again: the first request's checks may no longer
    pass once it acted (e.g. the login it created is taken now).
    """
    key = request.headers.get(HEADER, "")
    if not KEY_PATTERN.fullmatch(key):
        raise invalid(
            HEADER,
            _("Send an Idempotency-Key header of 1 to 40 letters, digits and . _ : - (e.g. a UUID)."),
            location="header",
        )
    fingerprint = _fingerprint(request, body)
    record_key = f"api:{request.api_token.pk}:{key}"
    record = start_action(request.tenant, record_key, kind, user=request.user, fingerprint=fingerprint)
    if record is None:
        return _replay(ActionRecord.objects.get(tenant=request.tenant, key=record_key), fingerprint)
    try:
        status, answer = act(record)
    except Problem:
        # Refused by our own checks before the provider was called: nothing acted, the key is free again.
        record.delete()
        raise
    except ProviderError as error:
        problem = from_provider_error(error, secrets=tenant_secrets(request.tenant), extra=chosen_secrets)
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        response = problem_response(request, problem)
        record.settle(
            ActionRecord.State.UNKNOWN if unknown else ActionRecord.State.FAILED,
            api_status=response.status_code,
            api_answer=json.loads(response.content),
        )
        return response
    except Exception:
        # Our own failure after the key was taken: whether the provider acted is not known here.
        record.settle(ActionRecord.State.UNKNOWN)
        raise
    plain = json.loads(json.dumps(answer, cls=NinjaJSONEncoder))
    if status < 400:
        state = ActionRecord.State.DONE
    else:
        state = ActionRecord.State.UNKNOWN if status == 503 else ActionRecord.State.FAILED
    record.settle(state, api_status=status, api_answer=plain)
    return _answer(status, plain, replayed=False)


def _replay(record: ActionRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise Problem(
            "idempotency-key-reused",
            _("This Idempotency-Key was used for another request; use a new key for a new request."),
        )
    if "api_status" not in record.outcome:
        if (
            record.state == ActionRecord.State.ACTING
            and timezone.now() - record.created_at < STILL_RUNNING_FOR
        ):
            raise Problem(
                "idempotency-key-in-use",
                _("The first request with this Idempotency-Key is still running; ask again in a moment."),
                headers={"Retry-After": "1"},
            )
        raise Problem(
            "outcome-unknown",
            _(
                "The first request with this Idempotency-Key ended without an answer; check before acting again."
            ),
        )
    return _answer(record.outcome["api_status"], record.outcome["api_answer"], replayed=True)
