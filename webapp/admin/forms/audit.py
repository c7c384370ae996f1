"""The audit page's filters: the console's list filters (forms/filters.py) with action, target and channel.
`user_id` (a link from a user's page) stays a bounded query argument: out of range is a 400, as for every console id."""
from wtforms import StringField

from ...forms.validators import strip
from ...services.platform.audit import CHANNELS
from .filters import ListFilterForm, choice


class AuditFilterForm(ListFilterForm):
    action = StringField("Action", default="", filters=[strip])
    target_type = StringField("Target", default="", filters=[strip])
    via = choice("Through", CHANNELS, "any channel", f"Through is one of {', '.join(CHANNELS)}.",
                 kind=None)
