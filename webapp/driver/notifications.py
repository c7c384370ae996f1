"""The notification centre: what happened to your bookings, payments and chargers."""
from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..services.platform import notifications
from ..services.errors import NotFound
from .blueprint import bp


@bp.route("/notifications")
@login_required
def notification_centre():
    """Newest first; unread ones are highlighted until opened or marked read."""
    return render_template("driver/notifications/index.html", notes=notifications.recent(current_user.id))


@bp.route("/notifications/<int:note_id>", methods=["POST"])
@login_required
def open_notification(note_id: int):
    """Mark one notification read and go where it points."""
    try:
        note = notifications.open_one(current_user.id, note_id)
    except NotFound:
        abort(404)
    link = note.link if note.link and note.link.startswith("/") and not note.link.startswith("//") else None
    return redirect(link or url_for("driver.notification_centre"), code=303)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    """Mark every notification read (clears the badge)."""
    notifications.mark_all_read(current_user.id)
    return redirect(url_for("driver.notification_centre"), code=303)
