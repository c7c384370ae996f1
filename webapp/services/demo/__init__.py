"""Demo data: stations, chargers, accounts and a few weeks of history for a laptop demo. Uses: accounts, fleet, money."""
