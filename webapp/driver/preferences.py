"""Notification preferences (per kind and channel) and the devices that get push notifications."""
from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..extensions import csrf
from ..models import CHANNELS
from ..services.errors import DomainError
from ..services.platform import mail, preferences, push
from .blueprint import bp
from .common import invalid
from .forms_account import CHANNEL_LABELS, PushRenewalForm, PushSubscriptionForm, preferences_form


def _form():
    return preferences_form(preferences.choices(current_user.id), preferences.KINDS, CHANNELS)


def _page(form, status: int = 200):
    return render_template(
        "driver/notifications/preferences.html", form=form, kinds=preferences.KINDS, channels=CHANNELS,
        channel_labels=CHANNEL_LABELS, devices=push.devices(current_user.id), push_ready=push.enabled(),
        vapid_key=push.public_key() if push.enabled() else "", mail_ready=mail.enabled()), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notification_preferences():
    """Which notifications come in the app, by push and by email; this device's push on or off."""
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422 if form.errors else 200)
    preferences.save(current_user.id, form.wanted())
    flash("Notification preferences saved.", "success")
    return redirect(url_for("driver.notification_preferences"), code=303)


def _json_error(exc: DomainError):
    return jsonify({"error": {"code": exc.code, "message": exc.message, "details": exc.details}}), exc.status


@bp.route("/account/notifications/devices", methods=["POST"])
@login_required
def add_push_device():
    """Store this browser's push subscription (JSON from static/js/push.js, after the driver agreed)."""
    form = PushSubscriptionForm()
    if not push.enabled():
        return _json_error(push.PushNotConfigured("Push notifications are not set up on this server."))
    if not form.validate_on_submit():
        return _json_error(invalid(form))
    try:
        sub = push.subscribe(current_user.id, form.endpoint.data, form.p256dh.data, form.auth.data,
                             request.headers.get("User-Agent", ""))
    except DomainError as exc:
        return _json_error(exc)
    session[push.SESSION_KEY] = sub.id  # logging out of this browser forgets this device (auth/views.py)
    return jsonify({"id": sub.id, "renew_token": push.renewal_token(sub)}), 201


@bp.route("/account/notifications/devices/<int:sub_id>/delete", methods=["POST"])
@login_required
def remove_push_device(sub_id: int):
    """Stop push notifications to one of the driver's devices."""
    if push.remove(current_user.id, sub_id):
        flash("That device gets no more push notifications.", "success")
    else:
        flash("That device was already removed.", "info")
    return redirect(url_for("driver.notification_preferences"), code=303)


@bp.route("/push/renew", methods=["POST"])
@csrf.exempt
def renew_push_device():
    """The service worker's new subscription after the browser replaced the old one (pushsubscriptionchange):
    no session or CSRF token there, so the token issued with the old subscription proves whose it is."""
    form = PushRenewalForm()
    if not form.validate_on_submit():
        return _json_error(invalid(form))
    try:
        sub = push.renew(form.token.data, form.endpoint.data, form.p256dh.data, form.auth.data,
                         request.headers.get("User-Agent", ""))
    except DomainError as exc:
        return _json_error(exc)
    return jsonify({"id": sub.id, "renew_token": push.renewal_token(sub)}), 200
