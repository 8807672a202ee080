"""SerwerSMS.pl: subaccounts (list, one with its limits, create from a template, limits, delete).

Reads come from the local copy the background sync keeps; changes call sms.services, as the pages do.
"""

from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Schema

from accounts.models import Role
from api.auth import TokenRouter, requires
from api.endpoints.common import ERRORS, PageOut, ProblemOut, answers, configured_account
from api.idempotency import ACTS_ONCE, act_once
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, newest_first
from api.problems import Problem, from_form_errors
from providers.once import ActionRecord
from sms import services
from sms.forms import LimitForm, SubaccountCreateForm
from sms.models import MessageType, SerwerSmsAccount, Subaccount, SubaccountLimit

router = TokenRouter(tags=["SerwerSMS.pl"])

PROVIDER = "SerwerSMS.pl"
SEARCH_MAX_LENGTH = 100


def _account(request: HttpRequest) -> SerwerSmsAccount:
    return configured_account(request, SerwerSmsAccount, PROVIDER)


def _subaccount(request: HttpRequest, subaccount_id: int) -> Subaccount:
    return get_object_or_404(Subaccount, pk=subaccount_id, tenant=request.tenant)


class SubaccountOut(Schema):
    id: int
    provider_id: int = Field(description="The subaccount's ID at SerwerSMS.pl")
    login: str
    name: str
    phone: str
    email: str
    details_synced_at: datetime | None


class LimitOut(Schema):
    message_type: str
    value: int | None = Field(description="The limit last set from the dashboard; null: never set here")
    set_at: datetime | None
    set_by: str


class SubaccountDetailOut(SubaccountOut):
    limits: list[LimitOut]


def _detail(subaccount: Subaccount) -> dict:
    last_set = {limit.message_type: limit for limit in SubaccountLimit.objects.filter(subaccount=subaccount)}
    limits = []
    for message_type in MessageType.values:
        limit = last_set.get(message_type)
        limits.append(
            {
                "message_type": message_type,
                "value": limit.value if limit else None,
                "set_at": limit.set_at if limit else None,
                "set_by": limit.set_by_username if limit else "",
            }
        )
    return {**SubaccountOut.from_orm(subaccount).dict(), "limits": limits}


@router.get("/subaccounts", response=answers(PageOut[SubaccountOut]), summary="List the subaccounts")
@requires(Role.VIEWER)
def subaccounts(
    request: HttpRequest,
    q: str = Query("", max_length=SEARCH_MAX_LENGTH, description="Part of a login, name, email or phone"),
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The subaccounts from the last sync, newest first."""
    rows = Subaccount.objects.filter(tenant=request.tenant)
    if q := q.strip():
        rows = rows.filter(
            Q(login__icontains=q)
            | Q(name__icontains=q)
            | Q(email__icontains=q)
            | Q(phone__icontains=q)
            | Q(provider_id__startswith=q)
        )
    page = newest_first(rows, cursor, fields=("provider_id",), limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/subaccounts/{subaccount_id}", response=answers(SubaccountDetailOut), summary="One subaccount")
@requires(Role.VIEWER)
def subaccount(request: HttpRequest, subaccount_id: int):
    return _detail(_subaccount(request, subaccount_id))


class SubaccountIn(Schema):
    template_id: int = Field(description="The id (in this API) of the subaccount whose settings are copied")
    login: str
    password: str = Field(description="3–20 characters; not stored by the dashboard, not answered back")
    name: str = ""
    phone: str = ""
    email: str = ""


@router.post(
    "/subaccounts",
    response=answers(SubaccountDetailOut, status=201),
    summary="Create a subaccount",
    openapi_extra=ACTS_ONCE,
)
@requires(Role.ADMIN)
def create_subaccount(request: HttpRequest, payload: SubaccountIn):
    """Creates a subaccount at SerwerSMS.pl with a template's permissions and settings. It acts, so it
    needs an `Idempotency-Key` and is sent once."""
    data = payload.dict()

    def create(_record: ActionRecord) -> tuple[int, dict]:
        form = SubaccountCreateForm(
            {**data, "template": data["template_id"], "form_token": "api"}, tenant=request.tenant
        )
        if not form.is_valid():
            raise from_form_errors(form, fields={"template": "template_id"})
        account = _account(request)
        cleaned = form.cleaned_data
        creation = services.issue_creation_form(request.tenant, request.user)
        if not services.claim_creation(creation, request.user, cleaned["login"], cleaned["template"]):
            raise Problem("conflict")  # a fresh form is claimed by this request only
        subaccount = services.create_subaccount(
            creation,
            account,
            request.user,
            template=cleaned["template"],
            password=cleaned["password"],
            name=cleaned["name"],
            phone=cleaned["phone"],
            email=cleaned["email"],
        )
        return 201, _detail(subaccount)

    # The password is left out of the stored fingerprint: the record keeps nothing a password could be read from.
    return act_once(
        request,
        "sms.subaccount.create",
        {k: v for k, v in data.items() if k != "password"},
        create,
        chosen_secrets=(data["password"],),
    )


class LimitIn(Schema):
    value: int = Field(description="Messages of this type the subaccount may send")


@router.put(
    "/subaccounts/{subaccount_id}/limits/{message_type}",
    response=answers(SubaccountDetailOut),
    summary="Set a subaccount's limit",
)
@requires(Role.ADMIN)
def set_limit(request: HttpRequest, subaccount_id: int, message_type: str, payload: LimitIn):
    """One message type's limit (eco, full, voice, mms, hlr)."""
    subaccount = _subaccount(request, subaccount_id)
    form = LimitForm({"message_type": message_type, "value": payload.value})
    if not form.is_valid():
        raise from_form_errors(form)
    services.set_limit(
        _account(request),
        subaccount,
        request.user,
        form.cleaned_data["message_type"],
        form.cleaned_data["value"],
    )
    return _detail(subaccount)


@router.delete(
    "/subaccounts/{subaccount_id}", response={204: None, ERRORS: ProblemOut}, summary="Delete a subaccount"
)
@requires(Role.ADMIN)
def delete_subaccount(request: HttpRequest, subaccount_id: int):
    """Deletes it at SerwerSMS.pl, then from the dashboard (with its limits)."""
    subaccount = _subaccount(request, subaccount_id)
    services.delete_subaccount(_account(request), subaccount, request.user)
    return HttpResponse(status=204)
