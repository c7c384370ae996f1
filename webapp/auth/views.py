"""Account pages."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..services.accounts import accounts, login_limits, passwords, signouts
from ..services.errors import DomainError
from ..services.platform import push
from .blueprint import bp
from .forms import LoginForm, PasswordForm, RegisterForm


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
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.errors else 200
    try:
        user = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
    except DomainError as exc:
        form.fail(exc)
        return render_template("auth/login.html", form=form), exc.status if exc.status in (403, 429) else 401
    login_user(user, remember=form.remember.data)
    return redirect(_safe_next(request.args.get("next")) or _home_for(user))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a driver account."""
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 422 if form.errors else 200
    try:
        login_limits.check_registration(request.remote_addr)
        user = accounts.register(form.email.data, form.name.data, form.password.data, battery_kwh=form.battery())
    except DomainError as exc:
        form.fail(exc)
        return render_template("auth/register.html", form=form), exc.status
    login_user(user)
    flash("Welcome to Chargeway!", "success")
    return redirect(url_for("driver.home"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST, so a link cannot do it)."""
    signouts.log_out(current_user)  # a copy of this browser's cookies stops working too
    if session.get(push.SESSION_KEY):  # a shared phone gets no more pushes for whoever logged out on it
        push.remove(current_user.id, session[push.SESSION_KEY])
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your password: every other browser and every app signed in as you is signed out."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 422 if form.errors else 200
    try:
        passwords.change(current_user, form.current_password.data, form.new_password.data,
                         form.confirm_password.data)
    except DomainError as exc:
        form.fail(exc)
        return render_template("auth/password.html", form=form), exc.status
    # The epoch moved on: sign this browser in again (keeping its remember cookie if it had one).
    login_user(current_user._get_current_object(),
               remember=current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)
    flash("Password changed. You were signed out everywhere else.", "success")
    return redirect(_home_for(current_user))
