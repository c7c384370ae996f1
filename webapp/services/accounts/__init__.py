"""Accounts: registration and login (throttled), roles and suspension, API tokens, passwords and their
policy, sign-outs everywhere, drivers' idTags on the console. Uses: platform, booking (suspending
an account cancels its bookings)."""
