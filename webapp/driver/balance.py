"""The driver's balance: what earlier sessions still owe, and paying it (card, UPI or wallet)."""
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..money import format_money
from ..services.money import balance as balances
from ..services.errors import DomainError, InvalidInput
from .blueprint import bp
from .common import fail


def _form_key(form) -> str:
    key = (form.get("idempotency_key") or "").strip()
    if not 16 <= len(key) <= 40 or not key.isalnum():
        raise InvalidInput("This payment form is out of date. Reload the page and pay again.")
    return balances.payment_key(current_user.id, "web", key)


@bp.route("/account/balance")
@login_required
def balance():
    """What the driver owes, per booking, with a form to pay it all."""
    return render_template("driver/balance/index.html", summary=balances.summary(current_user.id),
                           idempotency_key=uuid.uuid4().hex)


@bp.route("/account/balance/pay", methods=["POST"])
@login_required
def pay_balance():
    """Pay the whole outstanding balance; a double submit charges once."""
    back = url_for("driver.balance")
    try:
        payment = balances.pay(current_user, request.form.get("method", ""), request.form.get("details", ""),
                               _form_key(request.form))
    except DomainError as exc:
        return fail(exc, back)
    flash(f"{format_money(payment.amount, payment.currency)} paid. Your balance is clear; you can book again.",
          "success")
    return redirect(back, code=303)
