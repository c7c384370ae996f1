"""The driver's account forms: paying the outstanding balance, notification preferences, push devices."""
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

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


def text_only(value):
    """Filter: a JSON number, list or object where text belongs becomes None (then refused as missing)."""
    return value if isinstance(value, str) or value is None else None


class PushSubscriptionForm(Form):
    """A browser's PushSubscription (posted as JSON by static/js/push.js): where to post and its keys. A JSON
    value that is not text counts as missing."""
    endpoint = StringField("Push endpoint", [DataRequired("The browser gave no push endpoint."),
                                             Length(max=1000, message="The push endpoint is too long.")],
                           filters=[text_only, strip])
    p256dh = StringField("Public key", [DataRequired("The browser gave no public key."),
                                        Length(max=120, message="The public key is too long.")],
                         filters=[text_only, strip])
    auth = StringField("Auth secret", [DataRequired("The browser gave no auth secret."),
                                       Length(max=40, message="The auth secret is too long.")],
                       filters=[text_only, strip])


class PushRenewalForm(PushSubscriptionForm):
    """The service worker's new subscription after `pushsubscriptionchange`, with the token it was given."""

    class Meta:
        csrf = False  # the service worker has no page and no CSRF token: the signed token is the proof

    token = StringField("Renewal token", [DataRequired("The renewal token is missing."),
                                          Length(max=200, message="The renewal token is too long.")],
                        filters=[text_only])


def preferences_form(choices: dict[tuple[str, str], bool], kinds, channels):
    """A form with one check box per (kind, channel), named `<kind>__<channel>`, set from `choices` (a posted
    form wins: an unticked box is off). `save` is always posted, so a form with every box unticked still
    counts as submitted."""
    class PreferencesForm(Form):
        save = HiddenField(default="1")

        def wanted(self) -> dict[tuple[str, str], bool]:
            return {(k.key, c): bool(self[f"{k.key}__{c}"].data) for k in kinds for c in channels}

    for kind in kinds:
        for channel in channels:
            setattr(PreferencesForm, f"{kind.key}__{channel}", BooleanField(f"{kind.label}: {CHANNEL_LABELS[channel]}"))
    return PreferencesForm(data={f"{k}__{c}": on for (k, c), on in choices.items()})


CHANNEL_LABELS = {"in_app": "In the app", "push": "Push", "email": "Email"}
