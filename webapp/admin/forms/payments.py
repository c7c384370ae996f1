"""The refund form of a payment's page: an amount in major units, a reason, the key the page was shown with."""
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from ...forms.base import Form
from ...forms.fields import MoneyField
from ...forms.validators import strip


class RefundForm(Form):
    idempotency_key = HiddenField()  # checked by the service (disputes.refund_key): a stale form is refused there
    amount = MoneyField("Refund amount", [InputRequired("Refund amount is required.")], id="f-amount")
    reason = StringField("Reason", id="f-refund-reason", filters=[strip], validators=[
        InputRequired("Give a reason for the refund (at most 150 characters)."),
        Length(max=150, message="Give a reason for the refund (at most 150 characters).")])
