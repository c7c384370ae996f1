"""Payments: a searchable list, the detail, refunds (all or part, with a reason)."""
import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.decorators import staff_required
from ..extensions import db
from ..services.money import disputes
from ..services.platform import audit
from ..services.reports import records
from ..services.errors import DomainError, InvalidInput
from . import clock
from .blueprint import bp
from .access import payment_or_abort
from .common import PER_PAGE
from .forms.filters import PaymentFilterForm
from .forms.payments import RefundForm


@bp.route("/payments")
@staff_required
def payments():
    """Payments at your stations: search by id, booking, driver, provider reference; filter by kind, status."""
    form = PaymentFilterForm.from_args()
    query = records.payments_query(current_user, **form.filters(), zone=clock.console_zone())
    return render_template("admin/payments/list.html", form=form,
                           page=db.paginate(query, page=form.page_number, per_page=PER_PAGE, error_out=False))


def _detail(payment, form: RefundForm | None = None, status: int = 200):
    """The payment page; its refund form carries a fresh key unless re-shown after an error."""
    if form is None:
        form = RefundForm(formdata=None, idempotency_key=uuid.uuid4().hex, amount=disputes.refundable(payment))
    return render_template("admin/payments/detail.html", payment=payment, refundable=disputes.refundable(payment),
                           trail=audit.for_target("payment", payment.id), form=form), status


@bp.route("/payments/<int:payment_id>")
@staff_required
def payment_detail(payment_id: int):
    """A payment, its booking's other payments, and the refund form for captures."""
    return _detail(payment_or_abort(payment_id))


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
@staff_required
def payment_refund(payment_id: int):
    """Refund all or part of a captured payment with a reason (a payment dispute), once per submitted form."""
    payment = payment_or_abort(payment_id)
    form = RefundForm()
    done = disputes.already_refunded(payment.id, form.idempotency_key.data or "")
    if done is not None:  # a double submit: the first one refunded
        flash(f"This refund was already made (refund #{done.id}, {done.amount / 100:.2f} {done.currency}, "
              f"{done.status}).", "info")
        return redirect(url_for("admin.payment_detail", payment_id=payment_id))
    if not form.validate_on_submit():  # nothing happened: the form again with the field marked
        return _detail(payment, form, 422)
    try:
        refund = disputes.refund_payment(payment.id, form.amount.data, form.reason.data, current_user.id,
                                         form.idempotency_key.data)
    except InvalidInput as exc:
        form.fail(exc)
        return _detail(payment, form, exc.status)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.payment_detail", payment_id=payment_id))
    flash(f"Refunded {refund.amount / 100:.2f} {refund.currency} (refund #{refund.id}); the driver was notified.",
          "success")
    return redirect(url_for("admin.payment_detail", payment_id=payment_id))
