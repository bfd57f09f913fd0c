"""HTTP routes of subscriptions: parse, call service_layer.subscriptions, shape the answer."""

from fastapi import APIRouter, Request, Response, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page

from minilok_notifications import models
from minilok_notifications.schemas import (
    DeliveryOut,
    Recover,
    Recovered,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from minilok_notifications.service_layer import deliveries, subscriptions

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


def _with_secret(sub: models.Subscription, secret: str | None) -> SubscriptionWithSecret:
    return SubscriptionWithSecret.model_validate({**SubscriptionOut.model_validate(sub).model_dump(), "secret": secret})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionWithSecret,
             response_model_exclude_none=False)
def create_subscription(body: SubscriptionCreate, request: Request, session: SessionDep, principal: CurrentPrincipal):
    sub, secret = subscriptions.create_subscription(session, request.app.state.settings, principal, body)
    return _with_secret(sub, secret)


@router.get("", response_model=Page[SubscriptionOut])
def list_subscriptions(session: SessionDep, principal: CurrentPrincipal, agency_id: int | None = None,
                       channel: str | None = None, limit: int = LimitQuery, cursor: str | None = None):
    after = decode_cursor(cursor)[0] if cursor else None
    rows = subscriptions.list_subscriptions(session, principal, agency_id=agency_id, channel=channel, after=after,
                                            limit=limit)
    return keyset_page(rows, limit)


@router.get("/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(subscription_id: int, session: SessionDep, principal: CurrentPrincipal):
    return subscriptions.get_subscription(session, principal, subscription_id)


@router.patch("/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(subscription_id: int, body: SubscriptionUpdate, request: Request, session: SessionDep,
                        principal: CurrentPrincipal):
    return subscriptions.update_subscription(session, request.app.state.settings, principal, subscription_id, body)


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: int, session: SessionDep, principal: CurrentPrincipal):
    """The subscription stops at once; its delivery log is kept, and what was still waiting fails."""
    subscriptions.delete_subscription(session, principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{subscription_id}/rotate-secret", response_model=SubscriptionWithSecret)
def rotate_secret(subscription_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal):
    sub, secret = subscriptions.rotate_secret(session, request.app.state.settings, principal, subscription_id)
    return _with_secret(sub, secret)


@router.post("/{subscription_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=DeliveryOut)
def test_subscription(subscription_id: int, session: SessionDep, principal: CurrentPrincipal):
    """Queue a `notification.test` CloudEvent on the real delivery path and answer with its
    delivery, still pending: a worker sends it (never this request, which a slow target would
    hold up); follow it at `GET /deliveries/{id}`."""
    return subscriptions.send_test(session, principal, subscription_id)


@router.post("/{subscription_id}/recover", status_code=status.HTTP_202_ACCEPTED, response_model=Recovered)
def recover(subscription_id: int, body: Recover, session: SessionDep, principal: CurrentPrincipal):
    """Send again every failed delivery of this subscription made since `since` (at most 30 days
    back), each with a fresh budget of attempts; 409 while the subscription is switched off."""
    return {"queued": deliveries.recover(session, principal, subscription_id, body.since)}
