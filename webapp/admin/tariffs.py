"""Tariffs (admins only): create, edit, retire."""
from flask import flash, redirect, render_template, request, url_for

from ..auth.decorators import admin_required
from ..services.fleet import tariffs as tariff_service
from .blueprint import bp
from .access import tariff_or_abort
from .forms.submit import button, submit
from .forms.tariffs import TariffForm


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
    form = TariffForm()
    if request.method != "POST":
        return render_template("admin/tariffs/form.html", tariff=None, form=form)
    tariff, refused = submit(form, lambda: tariff_service.create_tariff(form.prices()))
    if refused:
        return render_template("admin/tariffs/form.html", tariff=None, form=form), refused
    flash(f"Tariff {tariff.name} created.", "success")
    return redirect(url_for("admin.tariffs"))


@bp.route("/tariffs/<int:tariff_id>/edit", methods=["GET", "POST"])
@admin_required
def tariff_edit(tariff_id: int):
    """Change a tariff's prices; sessions priced from now on use them."""
    tariff = tariff_or_abort(tariff_id)
    form = TariffForm(obj=tariff)
    if request.method != "POST":
        return render_template("admin/tariffs/form.html", tariff=tariff, form=form)
    _, refused = submit(form, lambda: tariff_service.update_tariff(tariff, form.prices()))
    if refused:
        return render_template("admin/tariffs/form.html", tariff=tariff, form=form), refused
    flash(f"Tariff {tariff.name} saved.", "success")
    return redirect(url_for("admin.tariffs"))


@bp.route("/tariffs/<int:tariff_id>/retire", methods=["POST"])
@admin_required
def tariff_retire(tariff_id: int):
    """Retire a tariff that no active station uses."""
    tariff = tariff_or_abort(tariff_id)
    return button(lambda: tariff_service.retire_tariff(tariff), f"Tariff {tariff.name} retired.",
                  url_for("admin.tariffs"))
