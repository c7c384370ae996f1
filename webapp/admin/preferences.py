"""The staff member's own console settings: which wall clock times are shown on."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.decorators import staff_required
from ..services.accounts import console_clock
from ..services.fleet import hours
from .blueprint import bp
from .forms.clock import ClockForm
from .forms.submit import submit


@bp.route("/me/clock", methods=["GET", "POST"])
@staff_required
def clock_setting():
    """"Show times in: station time / my timezone <zone>" for the signed-in staff member."""
    form = ClockForm()
    if request.method != "POST":
        form.show_in.data = "mine" if current_user.console_timezone else "station"
        form.zone.data = current_user.console_timezone or ""
        return render_template("admin/clock.html", form=form, timezones=hours.timezones())
    _, refused = submit(form, lambda: console_clock.set_console_timezone(current_user, form.chosen_zone()))
    if refused:
        return render_template("admin/clock.html", form=form, timezones=hours.timezones()), refused
    zone = current_user.console_timezone
    flash(f"Times are now shown in {zone}." if zone else "Times are now shown in each station's own time.", "success")
    return redirect(url_for("admin.clock_setting"))
