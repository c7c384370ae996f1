"""The driver's account forms: paying the outstanding balance."""
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Regexp

from ..forms.base import Form
from ..forms.validators import strip
from ..services.money.balance import METHODS

STALE = "This payment form is out of date. Reload the page and pay again."


class PayBalanceForm(Form):
    """The method and what identifies it; the key the page was shown with makes a double submit charge once."""
    idempotency_key = HiddenField(validators=[InputRequired(STALE), Regexp(r"^[A-Za-z0-9]{16,40}$", message=STALE)])
    method = RadioField("Pay with", choices=[SelectChoice(m, {"upi": "UPI"}.get(m, m.capitalize())) for m in METHODS],
                        default="card", validators=[InputRequired("Choose card, UPI or wallet.")],
                        invalid_choice_message="Choose card, UPI or wallet.")
    details = StringField("Card number, UPI id or wallet phone",
                          [InputRequired("Enter the card number, UPI id or wallet phone."),
                           Length(max=64, message="At most 64 characters.")], filters=[strip], id="details")
