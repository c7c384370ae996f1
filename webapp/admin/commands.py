"""Remote commands and the charger's configuration; each answer lands in a result box (an htmx fragment)."""
from flask_login import current_user

from ..auth.decorators import staff_required
from ..fragments import page_or_fragment, wants_fragment
from ..services.fleet import remote
from .blueprint import bp
from .access import charger_or_abort
from .forms.commands import CommandForm
from .forms.submit import submit


@bp.route("/chargers/<int:charger_id>/commands", methods=["POST"])
@staff_required
def charger_command(charger_id: int):
    """Send one remote command and show the charger's answer, or the timeout / failure."""
    charger = charger_or_abort(charger_id)
    form = CommandForm()
    outcome, refused = submit(form, lambda: remote.run(charger, form.command.data or "", form.command_input()))
    if refused:
        # htmx swaps only 2xx answers, so the result box gets the message with a 200; a plain page gets 422.
        return page_or_fragment("admin/chargers/command_page.html", "admin/chargers/_command_result.html",
                                "command-result", status=200 if wants_fragment("command-result") else refused,
                                charger=charger, outcome=None, invalid=form.first_error)
    return page_or_fragment("admin/chargers/command_page.html", "admin/chargers/_command_result.html",
                            "command-result", charger=charger, outcome=outcome, invalid=None)


@bp.route("/chargers/<int:charger_id>/configuration", methods=["POST"])
@staff_required
def charger_configuration(charger_id: int):
    """GetConfiguration: the charger's keys and values, each editable through ChangeConfiguration."""
    charger = charger_or_abort(charger_id)
    form = CommandForm()
    outcome = remote.run(charger, "get_configuration", form.command_input())
    return page_or_fragment("admin/chargers/configuration_page.html", "admin/chargers/_configuration.html",
                            "charger-config", charger=charger, outcome=outcome,
                            rows=remote.configuration_rows(outcome.answer), me=current_user)
