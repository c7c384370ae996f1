"""The account forms: sign in, register, change password."""
from wtforms import BooleanField, DecimalField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from ..forms.base import Form
from ..forms.validators import ServiceCheck, strip
from ..services.accounts.accounts import EMAIL
from ..services.accounts.password_policy import check_new


class KwhField(DecimalField):
    """A number of kWh; anything else (words, NaN, infinity) is refused with the field's own message."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Battery capacity must be a number of kWh.") from None
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError("Battery capacity must be a number of kWh.")


class LoginForm(Form):
    """Email and password; the account checks (and their throttling) are the service's."""
    email = StringField("Email", [InputRequired("Enter your email address.")], filters=[strip])
    password = PasswordField("Password", [InputRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in")


class RegisterForm(Form):
    """A new driver account."""
    name = StringField("Name", [InputRequired("Enter your name."), Length(max=120, message="At most 120 characters.")],
                       filters=[strip])
    email = StringField("Email", [InputRequired("Enter a valid email address."),
                                  Length(max=254, message="At most 254 characters."),
                                  Regexp(EMAIL, message="Enter a valid email address.")], filters=[strip])
    password = PasswordField("Password (10 to 128 characters)", [ServiceCheck(check_new)])
    battery_kwh = KwhField("Battery capacity, kWh (optional)",
                               [Optional(), NumberRange(5, 250, "Battery capacity must be between 5 and 250 kWh.")],
                               places=None, render_kw={"inputmode": "decimal"})

    def battery(self) -> float | None:
        """The typed battery capacity in kWh, or None."""
        return float(self.battery_kwh.data) if self.battery_kwh.data is not None else None


class PasswordForm(Form):
    """The current password (checked by the service) and the new one twice."""
    current_password = PasswordField("Current password", [InputRequired("Enter your current password.")])
    new_password = PasswordField("New password (10 to 128 characters)", [ServiceCheck(check_new)])
    confirm_password = PasswordField("New password again",
                                     [EqualTo("new_password", "The new passwords do not match.")])
