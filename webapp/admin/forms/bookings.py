"""The booking page's staff actions (cancel, take the connector over, force-finish): a reason the driver sees."""
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...forms.base import Form

REASON_MESSAGE = "Give a reason (at most 150 characters); the driver sees it."


class StaffReasonForm(Form):
    """Why staff end a driver's booking: required, at most 150 characters, shown to the driver."""
    reason = StringField("Reason (the driver sees it)", filters=[lambda v: v.strip() if isinstance(v, str) else v],
                         validators=[DataRequired(REASON_MESSAGE), Length(max=150, message=REASON_MESSAGE)])
