"""Bookings, sessions and payments: searchable lists, session charts, cancelling a booking, refunds."""
import pytest

from webapp.extensions import db
from webapp.models import AuditLog, MeterSample, Notification, Payment

from .conftest import finished_session, paid_booking


def test_bookings_list_search_and_scope(operator_client, admin_client, world):
    page = operator_client.get("/admin/bookings").get_data(as_text=True)
    assert f'data-booking="{world.booking.id}"' in page and f'data-booking="{world.other_booking.id}"' not in page
    page = admin_client.get("/admin/bookings?q=driver2@").get_data(as_text=True)
    assert f'data-booking="{world.other_booking.id}"' in page and f'data-booking="{world.booking.id}"' not in page
    page = admin_client.get(f"/admin/bookings?q=%23{world.booking.id}").get_data(as_text=True)
    assert f'data-booking="{world.booking.id}"' in page and f'data-booking="{world.other_booking.id}"' not in page
    page = admin_client.get("/admin/bookings?q=FAR-1&status=COMPLETED").get_data(as_text=True)
    assert f'data-booking="{world.other_booking.id}"' in page
    assert 'data-booking="' not in admin_client.get("/admin/bookings?status=HELD").get_data(as_text=True)
    page = admin_client.get(f"/admin/bookings?station_id={world.station.id}&day_from=2000-01-01&day_to=2999-01-01"
                            ).get_data(as_text=True)
    assert f'data-booking="{world.booking.id}"' in page and f'data-booking="{world.other_booking.id}"' not in page
    bad_day = admin_client.get("/admin/bookings?day_from=yesterday").get_data(as_text=True)
    assert "is not a date" in bad_day


def test_booking_detail_shows_payments(operator_client, world):
    page = operator_client.get(f"/admin/bookings/{world.booking.id}").get_data(as_text=True)
    assert "₹30.00" in page and "unused authorisation" in page and f'data-payment="{world.capture.id}"' in page


def test_cancel_a_confirmed_booking_releases_the_payment_and_notifies(operator_client, world, factory):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    response = operator_client.post(f"/admin/bookings/{booking.id}/cancel", data={"reason": "cable damaged"})
    assert response.status_code == 302
    db.session.refresh(booking)
    assert booking.status == "CANCELLED" and booking.end_reason == "cancelled by operator: cable damaged"
    assert [(p.kind, p.status) for p in booking.payments] == [("authorise", "succeeded"), ("void", "succeeded")]
    note = db.session.execute(db.select(Notification).where(Notification.user_id == booking.user_id,
                                                            Notification.kind == "booking_cancelled")).scalar_one()
    assert "cable damaged" in note.body
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "booking.cancel")).scalar_one()
    assert entry.before["status"] == "CONFIRMED" and entry.after["status"] == "CANCELLED"
    assert entry.after["reason"] == "cable damaged"


def test_cancel_needs_a_reason_and_a_booking_not_started(operator_client, world, factory):
    booking = paid_booking(world.charger.connectors[1], factory.user(), status="CONFIRMED")
    response = operator_client.post(f"/admin/bookings/{booking.id}/cancel", data={"reason": " "},
                                    follow_redirects=True)
    assert "Give a reason" in response.get_data(as_text=True)
    done = operator_client.post(f"/admin/bookings/{world.booking.id}/cancel", data={"reason": "x"},
                                follow_redirects=True)
    assert "This booking is completed: only a held or confirmed booking can be cancelled" in \
        done.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.status == "CONFIRMED"
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "booking.cancel")).first() is None


def test_partial_then_full_refund_of_a_capture(operator_client, world):
    url = f"/admin/payments/{world.capture.id}/refund"
    page = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    assert 'id="refundable">₹30.00' in page
    response = operator_client.post(url, data={"amount": "12.50", "reason": "short delivery",
                                                        "idempotency_key": "c" * 32}, follow_redirects=True)
    assert "Refunded 12.50 INR" in response.get_data(as_text=True)
    refund = db.session.execute(db.select(Payment).where(Payment.reason == "dispute: short delivery")).scalar_one()
    assert (refund.kind, refund.amount, refund.status) == ("refund", 1250, "succeeded")
    db.session.refresh(world.booking)
    assert world.booking.amount_refunded == 2000 + 1250  # unused authorisation + dispute
    too_much = operator_client.post(url, data={"amount": "17.51", "reason": "again",
                                                        "idempotency_key": "d" * 32}, follow_redirects=True)
    assert "between 0.01 and 17.50 INR" in too_much.get_data(as_text=True)
    assert operator_client.post(url, data={"amount": "17.50", "reason": "rest of it",
                                                  "idempotency_key": "e" * 32}).status_code == 302
    page = operator_client.get(f"/admin/payments/{world.capture.id}").get_data(as_text=True)
    assert "refunded in full" in page
    entries = db.session.execute(db.select(AuditLog).where(AuditLog.action == "payment.refund")).scalars().all()
    assert [e.after["amount"] for e in entries] == [1250, 1750]
    assert entries[0].before["refundable"] == 3000 and entries[0].after["refundable"] == 1750
    note = db.session.execute(db.select(Notification).where(Notification.user_id == world.driver.id,
                                                            Notification.title == "Refund issued")).scalars().first()
    assert "short delivery" in note.body


@pytest.mark.parametrize("form, message", [
    ({"amount": "", "reason": "x"}, "Refund amount is required"),
    ({"amount": "abc", "reason": "x"}, "Refund amount must be an amount"),
    ({"amount": "0", "reason": "x"}, "between 0.01 and 30.00"),
    ({"amount": "5", "reason": ""}, "Give a reason for the refund"),
])
def test_refund_validation(operator_client, world, form, message):
    response = operator_client.post(f"/admin/payments/{world.capture.id}/refund", data=form, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.execute(db.select(Payment).where(Payment.reason.like("dispute:%"))).first() is None


def test_only_captures_can_be_refunded_and_only_at_your_stations(operator_client, world):
    auth = next(p for p in world.booking.payments if p.kind == "authorise")
    response = operator_client.post(f"/admin/payments/{auth.id}/refund", data={"amount": "1", "reason": "x"},
                                    follow_redirects=True)
    assert "Only a successful capture can be refunded" in response.get_data(as_text=True)
    other = operator_client.post(f"/admin/payments/{world.other_capture.id}/refund",
                                 data={"amount": "1", "reason": "x"})
    assert other.status_code == 403


def test_payments_list_filters(operator_client, admin_client, world):
    page = operator_client.get("/admin/payments?kind=capture").get_data(as_text=True)
    assert f'data-payment="{world.capture.id}"' in page and f'data-payment="{world.other_capture.id}"' not in page
    assert 'data-payment="' not in operator_client.get("/admin/payments?status=declined").get_data(as_text=True)
    page = admin_client.get(f"/admin/payments?q={world.capture.provider_ref}").get_data(as_text=True)
    assert page.count('data-payment="') == 1


def test_sessions_list_and_search(operator_client, admin_client, world):
    page = operator_client.get("/admin/sessions").get_data(as_text=True)
    assert f'data-session="{world.session.id}"' in page and f'data-session="{world.other_session.id}"' not in page
    page = admin_client.get(f"/admin/sessions?q={world.other_driver.id_tag}").get_data(as_text=True)
    assert f'data-session="{world.other_session.id}"' in page and f'data-session="{world.session.id}"' not in page
    assert 'data-session="' not in admin_client.get("/admin/sessions?state=active").get_data(as_text=True)


def test_session_detail_draws_energy_and_power_charts(operator_client, world):
    response = operator_client.get(f"/admin/sessions/{world.session.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('<svg class="chart"') == 3  # energy, power, SoC
    assert 'aria-label="Energy of session' in page and 'aria-label="Power of session' in page
    energy = page.split('aria-label="Energy of session')[1].split("</svg>")[0]
    points = energy.split('points="')[1].split('"')[0].split()
    assert len(points) == 7  # a sample every five minutes over 30 minutes
    assert "7.000 kWh" in page and "<script" not in energy
    live = operator_client.get(f"/admin/sessions/{world.session.id}",
                               headers={"HX-Request": "true", "HX-Target": "session-live"})
    assert live.status_code == 286  # the session is over: stop polling


def test_running_session_polls_and_can_be_stopped(operator_client, world, factory):
    session = finished_session(world.charger.connectors[1], factory.user(role="operator"))
    session.stopped_at = None
    db.session.commit()
    live = operator_client.get(f"/admin/sessions/{session.id}",
                               headers={"HX-Request": "true", "HX-Target": "session-live"})
    assert live.status_code == 200 and 'hx-trigger="every 5s"' in live.get_data(as_text=True)
    response = operator_client.post(f"/admin/sessions/{session.id}/stop", follow_redirects=True)
    assert "did not accept the stop" in response.get_data(as_text=True)  # the charger is not connected
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "session.stop")).scalar_one()
    # The entry is the stop request, written with it; the charger's answer is its event (charger timeline).
    assert entry.after["stop_reason_requested"] == "stopped by operator" and entry.after["stop_requested_at"]
    assert (entry.user_id, entry.via) == (world.operator.id, "console")


def test_session_without_samples_says_so(operator_client, world, factory):
    session = finished_session(world.charger.connectors[1], factory.user())
    db.session.execute(db.delete(MeterSample).where(MeterSample.session_id == session.id))
    db.session.commit()
    page = operator_client.get(f"/admin/sessions/{session.id}").get_data(as_text=True)
    assert "no samples yet" in page and '<svg class="chart"' not in page
