"""The audit page's filters (a GET form: no CSRF; a malformed value is shown and ignored). `user_id` (a link from
a user's page) stays a bounded query argument: out of range is a 400, as for every console id."""
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ...forms.base import Form
from ...forms.validators import strip
from ...services.platform.audit import CHANNELS


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField("Search", filters=[strip])
    action = StringField("Action", filters=[strip])
    target_type = StringField("Target", filters=[strip])
    via = SelectField("Through", choices=[SelectChoice("", "any channel"), *(SelectChoice(c, c) for c in CHANNELS)],
                      default="", invalid_choice_message=f"Through is one of {', '.join(CHANNELS)}.")
    day_from = DateField("From day", [Optional()])
    day_to = DateField("To day", [Optional()])

    def filters(self) -> dict:
        """The filters for `audit.search_query`: every valid field's value, the invalid ones left out."""
        self.validate()
        return {name: (None if field.errors else field.data) or ("" if name in self.TEXT else None)
                for name, field in self._fields.items()}

    TEXT = ("q", "action", "target_type", "via")
