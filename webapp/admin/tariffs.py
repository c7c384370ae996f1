"""Tariffs (admins only): create, edit, retire."""
from flask import flash, redirect, render_template, request, url_for

from ..auth.decorators import admin_required
from ..services.fleet import tariffs as tariff_service
from ..services.platform import audit
from ..services.errors import DomainError
from .blueprint import bp
from .access import tariff_or_abort
from .common import audit_action, form_error

TARIFF_FIELDS = ("name", "currency", "price_per_kwh", "price_per_minute", "session_fee", "idle_fee_per_minute",
                 "retired")


@bp.route("/tariffs")
@admin_required
def tariffs():
    """Every tariff with the stations using it."""
    rows = [(t, tariff_service.stations_using(t)) for t in tariff_service.all_tariffs()]
    return render_template("admin/tariffs/list.html", rows=rows)


@bp.route("/tariffs/new", methods=["GET", "POST"])
@admin_required
def tariff_new():
    """Create a tariff (amounts in major units, e.g. 18.50)."""
    if request.method == "POST":
        try:
            tariff = tariff_service.create_tariff(request.form)
        except DomainError as exc:
            return form_error("admin/tariffs/form.html", exc, tariff=None, form=request.form)
        audit_action("tariff.create", "tariff", tariff.id, None, audit.snapshot(tariff, TARIFF_FIELDS))
        flash(f"Tariff {tariff.name} created.", "success")
        return redirect(url_for("admin.tariffs"))
    return render_template("admin/tariffs/form.html", tariff=None, form=None)


@bp.route("/tariffs/<int:tariff_id>/edit", methods=["GET", "POST"])
@admin_required
def tariff_edit(tariff_id: int):
    """Change a tariff's prices; sessions priced from now on use them."""
    tariff = tariff_or_abort(tariff_id)
    if request.method == "POST":
        before = audit.snapshot(tariff, TARIFF_FIELDS)
        try:
            tariff_service.update_tariff(tariff, request.form)
        except DomainError as exc:
            return form_error("admin/tariffs/form.html", exc, tariff=tariff, form=request.form)
        audit_action("tariff.update", "tariff", tariff.id, before, audit.snapshot(tariff, TARIFF_FIELDS))
        flash(f"Tariff {tariff.name} saved.", "success")
        return redirect(url_for("admin.tariffs"))
    return render_template("admin/tariffs/form.html", tariff=tariff, form=None)


@bp.route("/tariffs/<int:tariff_id>/retire", methods=["POST"])
@admin_required
def tariff_retire(tariff_id: int):
    """Retire a tariff that no active station uses."""
    tariff = tariff_or_abort(tariff_id)
    before = audit.snapshot(tariff, TARIFF_FIELDS)
    try:
        tariff_service.retire_tariff(tariff)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.tariffs"))
    audit_action("tariff.retire", "tariff", tariff.id, before, audit.snapshot(tariff, TARIFF_FIELDS))
    flash(f"Tariff {tariff.name} retired.", "success")
    return redirect(url_for("admin.tariffs"))
