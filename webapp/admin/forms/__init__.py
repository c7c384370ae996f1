"""The console's forms, one module per page family (stations, chargers, tariffs, users, payments...).

Each is a `webapp.forms.base.Form` with validators and messages next to the field; money inputs use
`webapp.forms.fields.MoneyField`. Views validate, then pass the form's typed data to a service.
"""
