"""Users (admins only): search, role, operators' stations, suspension, and a user's history."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.decorators import admin_required
from ..extensions import db
from ..models import ROLES
from ..money import format_money
from ..services.accounts import roles
from ..services.money import balance
from ..services.platform import audit
from ..services.reports import monitoring, records
from ..services.errors import DomainError
from .blueprint import bp
from .access import user_or_abort
from .common import PER_PAGE
from .forms.filters import UserFilterForm
from .forms.users import ConfirmForm, RoleForm, StationsForm, WaiveForm


@bp.route("/users")
@admin_required
def users():
    """Accounts: search by email, name, idTag or id; filter by role and state."""
    form = UserFilterForm.from_args()
    return render_template("admin/users/list.html", form=form,
                           page=db.paginate(roles.users_query(**form.filters()), page=form.page_number,
                                            per_page=PER_PAGE, error_out=False))


def _detail(user, status: int = 200, **forms):
    """The user's page; `forms` are the ones being re-shown with their errors (the others start fresh)."""
    recent = {"bookings": records.bookings_query(current_user, user_id=user.id).limit(20),
              "sessions": records.sessions_query(current_user, user_id=user.id).limit(20),
              "payments": records.payments_query(current_user, user_id=user.id).limit(30)}
    forms = {"role_form": RoleForm(formdata=None, role=user.role), "waive_form": WaiveForm(formdata=None),
             "stations_form": StationsForm(formdata=None), **forms}
    return render_template("admin/users/detail.html", user=user, roles=ROLES,
                           all_stations=monitoring.visible_stations(current_user),
                           trail=audit.for_target("user", user.id), balance=balance.summary(user.id),
                           **forms, **{k: list(db.session.execute(q).scalars()) for k, q in recent.items()}), status


@bp.route("/users/<int:user_id>")
@admin_required
def user_detail(user_id: int):
    """A user: role, stations, suspension, balance, and their bookings, sessions and payments."""
    return _detail(user_or_abort(user_id))


def _act(user, form, form_name: str, run, message):
    """Validate the form, run one account change (the service audits it), and go back to the user's page; a bad
    input re-shows the page with the message next to its field and changes nothing."""
    if not form.validate_on_submit():
        return _detail(user, 422, **{form_name: form})
    try:
        result = run()
    except DomainError as exc:
        if exc.details.get("field") in form._fields:
            form.fail(exc)
            return _detail(user, exc.status, **{form_name: form})
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    flash(message(result) if callable(message) else message, "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/balance/waive", methods=["POST"])
@admin_required
def user_waive(user_id: int):
    """Waive what a driver owes, with a reason (audited; the driver is told)."""
    user = user_or_abort(user_id)
    form = WaiveForm()
    return _act(user, form, "waive_form", lambda: balance.waive(user.id, form.reason.data, current_user.id),
                lambda waived: f"Waived {format_money(waived, balance.summary(user.id).currency)} for {user.email}.")


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def user_role(user_id: int):
    """Change a user's role."""
    user = user_or_abort(user_id)
    form = RoleForm()
    role = form.role.data
    return _act(user, form, "role_form", lambda: roles.change_role(current_user, user, form.role.data),
                f"{user.email} is now {'an' if role in ('operator', 'admin') else 'a'} {role}.")


@bp.route("/users/<int:user_id>/stations", methods=["POST"])
@admin_required
def user_stations(user_id: int):
    """Assign the stations an operator manages."""
    user = user_or_abort(user_id)
    form = StationsForm()
    return _act(user, form, "stations_form", lambda: roles.assign_stations(user, form.station_ids.data),
                f"Stations of {user.email} saved.")


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
@admin_required
def user_suspend(user_id: int):
    """Suspend an account (its bookings not yet started are cancelled and refunded)."""
    user = user_or_abort(user_id)
    return _act(user, ConfirmForm(), "confirm_form", lambda: roles.suspend(current_user, user),
                f"{user.email} is suspended and logged out everywhere.")


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def user_reactivate(user_id: int):
    """Lift a suspension."""
    user = user_or_abort(user_id)
    return _act(user, ConfirmForm(), "confirm_form", lambda: roles.reactivate(user), f"{user.email} is active again.")
