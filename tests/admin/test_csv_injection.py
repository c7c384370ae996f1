"""Point 9 of issue 12: CSV exports quote every cell that could split or start a formula, in ';' locales too."""
import csv
import io
import re

from webapp.extensions import db
from webapp.services.reports import exports

HOSTILE = ['=HYPERLINK("http://evil.example";"x")', "a;=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1",
           " =1", "＝1", "semi;colon", 'quo"te', "line\nbreak", "|calc", "plain"]


FORMULA = ("=", "+", "-", "@", "＝", "|")


def _cells(line: str, delimiter: str = ",") -> list[str]:
    return next(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter))


def _semicolon_cells(text: str) -> list[str]:
    """How a ';' locale may cut our ',' file at worst: at every ';' and line break, quotes or not."""
    return [piece for line in re.split(r"\r\n|\r|\n", text) for piece in line.split(";")]


def test_no_cell_can_start_a_formula_whatever_the_separator():
    """A spreadsheet splitting on ',' (honouring quotes) or on ';' never sees a cell that starts a formula."""
    line = exports.format_row(HOSTILE)
    for cell in _cells(line):
        assert not cell.lstrip(" ").startswith(FORMULA), (cell, line)
    for cell in _semicolon_cells(line):
        assert not cell.lstrip(" ").startswith(FORMULA), (cell, line)


def test_comma_readers_get_every_value_back():
    cells = _cells(exports.format_row(HOSTILE))
    assert len(cells) == len(HOSTILE)
    for original, cell in zip(HOSTILE, cells):  # only a neutralising quote was added
        assert cell.replace("'", "") == original, (original, cell)


def test_numbers_stay_numbers():
    """A negative amount is a number, not a formula: it is not prefixed."""
    assert exports.format_row([-150, "-1.50", 3.25, None, True]) == '-150,-1.50,3.25,,true\r\n'


def test_users_export_quotes_a_hostile_name_and_station(admin_client, world):
    world.driver.name = '=cmd|" /C calc"!A0'
    world.station.name = "Own;=1+2 Station"
    db.session.commit()
    text = admin_client.get("/admin/exports/users.csv").get_data(as_text=True)
    for cell in _semicolon_cells(text) + [c for line in text.splitlines() for c in _cells(line)]:
        assert not cell.lstrip(" ").startswith(FORMULA), cell
    assert "'=cmd|\"\" /C calc\"\"!A0" in text
