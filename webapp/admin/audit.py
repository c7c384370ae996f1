"""The audit log (admins only): searchable, read-only."""
from flask import render_template

from .. import params
from ..auth.decorators import admin_required
from ..extensions import db
from ..services.platform import audit as audit_service
from . import clock
from .blueprint import bp
from .access import audit_entry_or_abort
from .common import PER_PAGE
from .forms.audit import AuditFilterForm


@bp.route("/audit")
@admin_required
def audit():
    """Every recorded change: who, through what, what, target, before and after, IP, time; filter and search."""
    form = AuditFilterForm.from_args()
    filters = {**form.filters(), "user_id": params.int_arg("user_id")}
    page = db.paginate(audit_service.search_query(**filters, zone=clock.console_zone()), page=form.page_number, per_page=PER_PAGE,
                       error_out=False)
    return render_template("admin/audit/list.html", form=form, filters=filters, page=page,
                           actions=audit_service.actions(),
                           target_types=audit_service.target_types(), changes=audit_service.changes)


@bp.route("/audit/<int:entry_id>")
@admin_required
def audit_entry(entry_id: int):
    """One audit entry with its full before and after."""
    entry = audit_entry_or_abort(entry_id)
    return render_template("admin/audit/entry.html", entry=entry, changes=audit_service.changes(entry.before,
                                                                                                 entry.after))
