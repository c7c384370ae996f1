"""Connectors of a charger: add, edit, remove (only when never used)."""
from flask import flash, redirect, url_for

from ..auth.decorators import staff_required
from ..services.fleet import stations
from .blueprint import bp
from .access import charger_or_abort, connector_or_abort
from .forms.connectors import ConnectorForm
from .forms.submit import button, submit


def _to_charger(charger_id: int):
    return redirect(url_for("admin.charger_detail", charger_id=charger_id) + "#connectors")


@bp.route("/chargers/<int:charger_id>/connectors", methods=["POST"])
@staff_required
def connector_add(charger_id: int):
    """Add the next connector to a charger (a row form of the charger page: its refusal is flashed there)."""
    charger = charger_or_abort(charger_id)
    form = ConnectorForm()
    connector, refused = submit(form, lambda: stations.add_connector(charger, form.plug_type.data,
                                                                     form.max_power_kw.data, **form.wiring()))
    flash(form.first_error if refused else f"Connector {connector.label} added.", "error" if refused else "success")
    return _to_charger(charger.id)


@bp.route("/connectors/<int:connector_id>", methods=["POST"])
@staff_required
def connector_edit(connector_id: int):
    """Change a connector's plug type, power and wiring."""
    connector = connector_or_abort(connector_id)
    form = ConnectorForm()
    _, refused = submit(form, lambda: stations.update_connector(connector, form.plug_type.data,
                                                                form.max_power_kw.data, **form.wiring()))
    flash(f"{connector.label}: {form.first_error}" if refused else f"Connector {connector.label} saved.",
          "error" if refused else "success")
    return _to_charger(connector.charger_id)


@bp.route("/connectors/<int:connector_id>/remove", methods=["POST"])
@staff_required
def connector_remove(connector_id: int):
    """Delete a connector that was never booked or used."""
    connector = connector_or_abort(connector_id)
    charger_id, label = connector.charger_id, connector.label
    return button(lambda: stations.remove_connector(connector), f"Connector {label} removed.",
                  url_for("admin.charger_detail", charger_id=charger_id) + "#connectors")
