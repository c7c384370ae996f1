"""The shared money field and the base form: typed values in, errors next to the field."""
from werkzeug.datastructures import MultiDict
from wtforms.validators import InputRequired

from webapp.forms.base import Form
from webapp.forms.fields import MoneyField
from webapp.services.errors import InvalidInput


class PriceForm(Form):
    price = MoneyField("Price per kWh", [InputRequired()], maximum=100_000)
    fee = MoneyField("Session fee")


def form(app, **data):
    with app.test_request_context(method="POST"):
        f = PriceForm(formdata=MultiDict(data), meta={"csrf": False})
        return f, f.validate()


def test_amounts_parse_to_minor_units(app):
    f, ok = form(app, price="18.50", fee="1,234.50")
    assert ok and f.data["price"] == 1850 and f.data["fee"] == 123450


def test_blank_optional_amount_is_none(app):
    f, ok = form(app, price="0,10", fee="")
    assert ok and f.price.data == 10 and f.fee.data is None


def test_unreadable_amount_is_an_error_on_its_field(app):
    f, ok = form(app, price="1,234")
    assert not ok and "ambiguous" in f.price.errors[0] and not f.fee.errors


def test_bounds(app):
    f, ok = form(app, price="1000.01")
    assert not ok and f.price.errors == ["Price per kWh must be at most 1000.00."]


def test_required(app):
    f, ok = form(app, fee="2")
    assert not ok and f.price.errors


def test_service_error_lands_on_the_named_field(app):
    with app.test_request_context(method="POST"):
        f = PriceForm(formdata=MultiDict({"price": "5"}), meta={"csrf": False})
        f.validate()
        f.fail(InvalidInput("Too cheap for this station.", {"field": "price"}))
        f.fail(InvalidInput("Something else."))
        assert f.price.errors == ["Too cheap for this station."]
        assert f.form_errors == ["Something else."] and f.first_error == "Something else."


def test_typed_value_is_shown_back(app):
    with app.test_request_context(method="POST"):
        f = PriceForm(formdata=MultiDict({"price": "abc"}), meta={"csrf": False})
        f.validate()
        assert 'value="abc"' in f.price() and 'inputmode="decimal"' in f.price()
        g = PriceForm(formdata=None, data={"price": 1805}, meta={"csrf": False})
        assert 'value="18.05"' in g.price()
