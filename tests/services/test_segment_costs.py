"""services.money.pricing.segment_costs: the receipt's energy per charging mode adds up to what is billed."""
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.money.pricing import energy_cost, segment_costs

TARIFF = SimpleNamespace(price_per_kwh=1799, price_per_kwh_standard=1401, price_per_kwh_solar=1003)


def test_each_segment_at_its_price():
    parts = segment_costs(TARIFF, 5000, "fast", [[0, "fast"], [2000, "solar"], [4000, "fast"]])
    assert [(p.mode, p.energy_wh, p.price_per_kwh) for p in parts] == [
        ("fast", 2000, 1799), ("solar", 2000, 1003), ("fast", 1000, 1799)]
    assert sum(p.cost for p in parts) == energy_cost(TARIFF, 5000, "fast", [[0, "fast"], [2000, "solar"], [4000, "fast"]])


@pytest.mark.parametrize("segments", [None, [[0, "solar"]]])
def test_one_mode_is_one_segment(segments):
    [part] = segment_costs(TARIFF, 1234, "solar", segments)
    assert (part.mode, part.energy_wh, part.cost) == ("solar", 1234, (1234 * 1003 + 500) // 1000)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 200_000), st.lists(st.tuples(st.integers(0, 200_000), st.sampled_from(["fast", "standard", "solar"])),
                                         max_size=5))
def test_segments_add_up_to_the_billed_energy(energy, changes):
    segments = [[0, "fast"]] + [[wh, mode] for wh, mode in sorted(changes)]
    parts = segment_costs(TARIFF, energy, "fast", segments)
    assert sum(p.cost for p in parts) == energy_cost(TARIFF, energy, "fast", segments)
    assert sum(p.energy_wh for p in parts) == energy
