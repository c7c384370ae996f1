"""Payments: a searchable list, the detail, refunds (all or part, with a reason)."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.decorators import staff_required
from ..extensions import db
from ..models import PAYMENT_METHODS
from ..services import audit, disputes, records
from ..services.errors import DomainError
from ..services.tariffs import parse_amount
from . import bp
from .access import payment_or_abort
from .common import PER_PAGE, arg_date, audit_action, page_number

KINDS = ("authorise", "capture", "refund", "void", "settle")
STATUSES = ("succeeded", "declined", "failed", "pending")
REFUND_FIELDS = ("id", "booking_id", "kind", "amount", "currency", "status", "provider_ref", "reason")


@bp.route("/payments")
@staff_required
def payments():
    """Payments at your stations: search by id, booking, driver, provider reference; filter by kind, status."""
    filters = {"q": request.args.get("q", "").strip(), "kind": request.args.get("kind", ""),
               "status": request.args.get("status", ""), "day_from": arg_date("day_from"),
               "day_to": arg_date("day_to")}
    query = records.payments_query(current_user, **filters)
    return render_template("admin/payments/list.html", filters=filters, kinds=KINDS, statuses=STATUSES,
                           methods=PAYMENT_METHODS,
                           page=db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False))


@bp.route("/payments/<int:payment_id>")
@staff_required
def payment_detail(payment_id: int):
    """A payment, its booking's other payments, and the refund form for captures."""
    payment = payment_or_abort(payment_id)
    return render_template("admin/payments/detail.html", payment=payment, refundable=disputes.refundable(payment),
                           trail=audit.for_target("payment", payment.id))


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
@staff_required
def payment_refund(payment_id: int):
    """Refund all or part of a captured payment with a reason (a payment dispute)."""
    payment = payment_or_abort(payment_id)
    before = {"refundable": disputes.refundable(payment),
              "amount_refunded": payment.booking.amount_refunded if payment.booking else None}
    try:
        amount = parse_amount(request.form.get("amount"), "amount", "Refund amount", required=True)
        refund = disputes.refund_payment(payment.id, amount, request.form.get("reason", ""), current_user.id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.payment_detail", payment_id=payment_id))
    after = {"refundable": disputes.refundable(payment), "amount_refunded": payment.booking.amount_refunded,
             **{f"refund_{k}" if k == "id" else k: v for k, v in audit.snapshot(refund, REFUND_FIELDS).items()}}
    audit_action("payment.refund", "payment", payment_id, before, after)
    flash(f"Refunded {refund.amount / 100:.2f} {refund.currency} (refund #{refund.id}); the driver was notified.",
          "success")
    return redirect(url_for("admin.payment_detail", payment_id=payment_id))
