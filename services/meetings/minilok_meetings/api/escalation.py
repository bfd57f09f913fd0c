"""Escalation policy routes: parse the request, call the service layer, answer."""

from fastapi import APIRouter
from minilok_shared.deps import CurrentPrincipal, SessionDep

from minilok_meetings.domain.escalation import Policy
from minilok_meetings.schemas import PolicyIn, PolicyOut, StepIn
from minilok_meetings.service_layer import escalation

router = APIRouter(prefix="/escalation-policies", tags=["escalation"])


def policy_out(puskesmas_id: int, policy: Policy, is_default: bool) -> PolicyOut:
    return PolicyOut(puskesmas_id=puskesmas_id, due_soon_before=policy.due_soon_before, is_default=is_default,
                     steps=[StepIn(after=s.after, notify=s.notify, working_days=s.working_days, urgent=s.urgent)
                            for s in policy.steps],
                     repeat_every=policy.repeat_every, progress_pause=policy.progress_pause)


@router.get("/{puskesmas_id}", response_model=PolicyOut)
def get_policy(puskesmas_id: int, session: SessionDep, principal: CurrentPrincipal):
    policy, is_default = escalation.get_policy(session, principal, puskesmas_id)
    return policy_out(puskesmas_id, policy, is_default)


@router.put("/{puskesmas_id}", response_model=PolicyOut)
def put_policy(puskesmas_id: int, body: PolicyIn, session: SessionDep, principal: CurrentPrincipal):
    return policy_out(puskesmas_id, escalation.put_policy(session, principal, puskesmas_id, body), False)
