"""Account pages."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..services.accounts import accounts, login_limits, passwords, signouts
from ..services.errors import DomainError
from .blueprint import bp


def _safe_next(target: str | None) -> str | None:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return None


def _home_for(user) -> str:
    return url_for("admin.dashboard") if user.is_staff else url_for("driver.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    if request.method == "POST":
        try:
            user = accounts.authenticate(request.form.get("email", ""), request.form.get("password", ""),
                                         request.remote_addr)
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("auth/login.html", email=request.form.get("email", "")), \
                exc.status if exc.status in (403, 429) else 401
        login_user(user, remember=bool(request.form.get("remember")))
        return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template("auth/login.html", email="")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a driver account."""
    if request.method == "POST":
        battery = request.form.get("battery_kwh", "").strip()
        try:
            login_limits.check_registration(request.remote_addr)
            user = accounts.register(request.form.get("email", ""), request.form.get("name", ""),
                                     request.form.get("password", ""),
                                     battery_kwh=float(battery) if battery else None)
        except ValueError:
            flash("Battery capacity must be a number of kWh.", "error")
            return render_template("auth/register.html", form=request.form), 422
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("auth/register.html", form=request.form), exc.status
        login_user(user)
        flash("Welcome to Chargeway!", "success")
        return redirect(url_for("driver.home"))
    return render_template("auth/register.html", form={})


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST, so a link cannot do it)."""
    signouts.log_out(current_user)  # a copy of this browser's cookies stops working too
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your password: every other browser and every app signed in as you is signed out."""
    if request.method == "POST":
        try:
            passwords.change(current_user, request.form.get("current_password", ""),
                             request.form.get("new_password", ""), request.form.get("confirm_password", ""))
        except DomainError as exc:
            return render_template("auth/password.html", error=exc), 400
        # The epoch moved on: sign this browser in again (keeping its remember cookie if it had one).
        login_user(current_user._get_current_object(),
                   remember=current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)
        flash("Password changed. You were signed out everywhere else.", "success")
        return redirect(_home_for(current_user))
    return render_template("auth/password.html", error=None)
