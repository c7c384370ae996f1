"""The driver's balance: what earlier sessions still owe, and paying it (card, UPI or wallet)."""
import uuid

from flask import flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..money import format_money
from ..services.money import balance as balances
from ..services.errors import DomainError
from .blueprint import bp
from .common import fail, wants_json
from .forms_account import PayBalanceForm


def _page(form: PayBalanceForm, status: int = 200):
    return render_template("driver/balance/index.html", summary=balances.summary(current_user.id), form=form), status


@bp.route("/account/balance")
@login_required
def balance():
    """What the driver owes, per booking, with a form to pay it all."""
    return _page(PayBalanceForm(idempotency_key=uuid.uuid4().hex))


@bp.route("/account/balance/pay", methods=["POST"])
@login_required
def pay_balance():
    """Pay the whole outstanding balance; a double submit charges once."""
    back = url_for("driver.balance")
    form = PayBalanceForm()
    if not form.validate_on_submit():
        if wants_json():
            return jsonify({"error": {"code": "invalid_input", "message": form.first_error,
                                      "details": {"fields": form.errors}}}), 422
        return _page(form, 422)
    try:
        payment = balances.pay(current_user, form.method.data, form.details.data,
                               balances.payment_key(current_user.id, "web", form.idempotency_key.data))
    except DomainError as exc:
        return fail(exc, back)  # a decline or a clear balance: the page again, with a fresh key
    flash(f"{format_money(payment.amount, payment.currency)} paid. Your balance is clear; you can book again.",
          "success")
    return redirect(back, code=303)
