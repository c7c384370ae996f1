"""The base of every form: Flask-WTF's CSRF, and a service's refusal shown next to the field it names."""
from flask_wtf import FlaskForm

from ..services.errors import DomainError


class Form(FlaskForm):
    """A FlaskForm (CSRF included) whose errors can also come from the service that acts on its data."""

    def fail(self, exc: DomainError) -> DomainError:
        """Put a service's refusal next to its field (`exc.details["field"]`), or in `form_errors` when it
        names none; returns the error so a view can use its status (422, 409...)."""
        field = self._fields.get(str(exc.details.get("field") or ""))
        if field is not None:
            field.errors = [*field.errors, exc.message]
        else:
            self.form_errors.append(exc.message)
        return exc

    @property
    def first_error(self) -> str | None:
        """The first message to flash (form-level first, then fields in order)."""
        if self.form_errors:
            return self.form_errors[0]
        for field in self:
            if field.errors:
                return field.errors[0]
        return None
