"""The remote command form: one form for every command of the charger page (each reads what it needs)."""
from wtforms import HiddenField, StringField
from wtforms.validators import Optional

from ...forms.base import Form
from ...services.fleet.remote import CommandInput
from .fields import WholeNumber, stripped


class CommandForm(Form):
    """The command's name and its typed arguments; what each command requires is checked by the service."""

    command = HiddenField("Command")
    connector_id = WholeNumber("Connector", [Optional()])
    id_tag = StringField("idTag", filters=[stripped])
    transaction_id = WholeNumber("Transaction id", [Optional()])
    type = StringField("Type")
    message = StringField("Message")
    key = StringField("Key", filters=[stripped])
    value = StringField("Value", filters=[stripped])
    keys = StringField("Keys")

    def command_input(self) -> CommandInput:
        """The typed arguments (call after `validate`)."""
        return CommandInput(connector_id=self.connector_id.data, id_tag=self.id_tag.data or "",
                            transaction_id=self.transaction_id.data, type=self.type.data or "",
                            message=self.message.data or "", key=self.key.data or "", value=self.value.data or "",
                            keys=tuple(k.strip() for k in (self.keys.data or "").split(",") if k.strip()))
