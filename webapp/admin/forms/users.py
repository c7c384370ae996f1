"""The forms of a user's page: role, operator's stations, waiving a balance; suspend/reactivate carry only CSRF."""
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from ...forms.base import Form
from ...forms.validators import strip
from ...models import ROLES

MAX_ID = 2**31 - 1


class IdsField(SelectMultipleField):
    """Checked row ids (any id: the service says which exist); anything but a positive 32-bit id is refused."""

    def process_formdata(self, valuelist) -> None:
        self.data = []
        for raw in valuelist:
            text = str(raw).strip()
            if not text.isdigit() or not 0 < int(text) <= MAX_ID:
                raise ValueError("Choose stations from the list.")
            self.data.append(int(text))

    def pre_validate(self, form) -> None:
        """Ids are checked against the database by the service, not against a list of choices."""


class RoleForm(Form):
    role = SelectField("Role", choices=list(ROLES), id="f-role",
                       validators=[InputRequired(f"Role must be one of {', '.join(ROLES)}.")],
                       invalid_choice_message=f"Role must be one of {', '.join(ROLES)}.")


class StationsForm(Form):
    station_ids = IdsField("Stations managed", choices=[], validate_choice=False)


class WaiveForm(Form):
    reason = StringField("Reason (the driver sees it)", id="f-waive-reason", filters=[strip], validators=[
        InputRequired("Give a reason for the waiver (at most 150 characters)."),
        Length(max=150, message="Give a reason for the waiver (at most 150 characters).")])


class ConfirmForm(Form):
    """A button that changes state (suspend, reactivate): CSRF and nothing else."""
