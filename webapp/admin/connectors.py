"""Connectors of a charger: add, edit, remove (only when never used)."""
from flask import flash, redirect, request, url_for

from ..auth.decorators import staff_required
from ..services.fleet import stations
from ..services.platform import audit
from ..services.errors import DomainError
from .blueprint import bp
from .access import charger_or_abort, connector_or_abort
from .common import audit_action

CONNECTOR_FIELDS = ("charger_id", "connector_id", "plug_type", "max_power_kw")


@bp.route("/chargers/<int:charger_id>/connectors", methods=["POST"])
@staff_required
def connector_add(charger_id: int):
    """Add the next connector to a charger."""
    charger = charger_or_abort(charger_id)
    try:
        connector = stations.add_connector(charger, request.form)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        audit_action("connector.create", "connector", connector.id, None, audit.snapshot(connector, CONNECTOR_FIELDS))
        flash(f"Connector {connector.label} added.", "success")
    return redirect(url_for("admin.charger_detail", charger_id=charger.id) + "#connectors")


@bp.route("/connectors/<int:connector_id>", methods=["POST"])
@staff_required
def connector_edit(connector_id: int):
    """Change a connector's plug type and power."""
    connector = connector_or_abort(connector_id)
    before = audit.snapshot(connector, CONNECTOR_FIELDS)
    try:
        stations.update_connector(connector, request.form)
    except DomainError as exc:
        flash(f"{connector.label}: {exc.message}", "error")
    else:
        audit_action("connector.update", "connector", connector.id, before, audit.snapshot(connector, CONNECTOR_FIELDS))
        flash(f"Connector {connector.label} saved.", "success")
    return redirect(url_for("admin.charger_detail", charger_id=connector.charger_id) + "#connectors")


@bp.route("/connectors/<int:connector_id>/remove", methods=["POST"])
@staff_required
def connector_remove(connector_id: int):
    """Delete a connector that was never booked or used."""
    connector = connector_or_abort(connector_id)
    charger_id, label, before = connector.charger_id, connector.label, audit.snapshot(connector, CONNECTOR_FIELDS)
    try:
        stations.remove_connector(connector)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        audit_action("connector.delete", "connector", connector_id, before, None)
        flash(f"Connector {label} removed.", "success")
    return redirect(url_for("admin.charger_detail", charger_id=charger_id) + "#connectors")
