"""Form building blocks shared by the console and the driver's pages (Flask-WTF / WTForms).

Each page's form class lives beside its views (`admin/forms/`, `driver/forms.py`, `auth/forms.py`); what
they share is here: the money field (`fields.MoneyField`), the base form (`base.Form`, CSRF from
Flask-WTF) and the bridge from a service's `DomainError` to the field it names (`base.Form.fail`).
Views validate a form, then hand its typed `data` to a service; services never see `request.form`.
"""
