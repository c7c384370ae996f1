"""Money: tariff arithmetic in minor units, payments (authorise, raise, capture), the gateway, the balance
ledger and paying it, top-ups, crash reconciliation, refunds and disputes. Uses: platform, booking (a dispute
cancels the booking)."""
