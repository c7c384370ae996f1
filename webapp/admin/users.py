"""Users (admins only): search, role, operators' stations, suspension, and a user's history."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.decorators import admin_required
from ..extensions import db
from ..models import ROLES
from ..money import format_money
from ..services.accounts import roles
from ..services.money import balance
from ..services.platform import audit
from ..services.reports import monitoring, records
from ..services.errors import DomainError, InvalidInput
from .blueprint import bp
from .access import user_or_abort
from .common import PER_PAGE, audit_action, client_ip, form_error, page_number

def _snap(user) -> dict:
    return {"email": user.email, "role": user.role, "active": user.active,
            "station_ids": sorted(s.id for s in user.stations)}


@bp.route("/users")
@admin_required
def users():
    """Accounts: search by email, name, idTag or id; filter by role and state."""
    filters = {"q": request.args.get("q", "").strip(), "role": request.args.get("role", ""),
               "state": request.args.get("state", "")}
    return render_template("admin/users/list.html", filters=filters, roles=ROLES,
                           page=db.paginate(roles.users_query(**filters), page=page_number(), per_page=PER_PAGE,
                                            error_out=False))


def _detail_context(user) -> dict:
    recent = {"bookings": records.bookings_query(current_user, user_id=user.id).limit(20),
              "sessions": records.sessions_query(current_user, user_id=user.id).limit(20),
              "payments": records.payments_query(current_user, user_id=user.id).limit(30)}
    return {"user": user, "roles": ROLES, "all_stations": monitoring.visible_stations(current_user),
            "trail": audit.for_target("user", user.id), "balance": balance.summary(user.id),
            **{k: list(db.session.execute(q).scalars()) for k, q in recent.items()}}


@bp.route("/users/<int:user_id>")
@admin_required
def user_detail(user_id: int):
    """A user: role, stations, suspension, balance, and their bookings, sessions and payments."""
    return render_template("admin/users/detail.html", **_detail_context(user_or_abort(user_id)))


@bp.route("/users/<int:user_id>/balance/waive", methods=["POST"])
@admin_required
def user_waive(user_id: int):
    """Waive what a driver owes, with a reason (audited; the driver is told)."""
    user = user_or_abort(user_id)
    try:
        waived = balance.waive(user.id, request.form.get("reason", ""), current_user.id, client_ip())
    except InvalidInput as exc:
        return form_error("admin/users/detail.html", exc, **_detail_context(user))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    flash(f"Waived {format_money(waived, balance.summary(user.id).currency)} for {user.email}.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _act(user, action: str, fn, message: str):
    """Run one account change, audit it, and go back to the user's page."""
    before = _snap(user)
    try:
        fn()
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    audit_action(action, "user", user.id, before, _snap(user))
    flash(message, "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def user_role(user_id: int):
    """Change a user's role."""
    user = user_or_abort(user_id)
    role = request.form.get("role", "")
    return _act(user, "user.role", lambda: roles.change_role(current_user, user, role),
                f"{user.email} is now {'an' if role in ('operator', 'admin') else 'a'} {role}.")


@bp.route("/users/<int:user_id>/stations", methods=["POST"])
@admin_required
def user_stations(user_id: int):
    """Assign the stations an operator manages."""
    user = user_or_abort(user_id)
    return _act(user, "user.stations", lambda: roles.assign_stations(user, request.form.getlist("station_ids")),
                f"Stations of {user.email} saved.")


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
@admin_required
def user_suspend(user_id: int):
    """Suspend an account (its bookings not yet started are cancelled and refunded)."""
    user = user_or_abort(user_id)
    return _act(user, "user.suspend", lambda: roles.suspend(current_user, user),
                f"{user.email} is suspended and logged out everywhere.")


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def user_reactivate(user_id: int):
    """Lift a suspension."""
    user = user_or_abort(user_id)
    return _act(user, "user.reactivate", lambda: roles.reactivate(user), f"{user.email} is active again.")
