"""Reports: read models for people: a driver's history, the console's analytics, monitoring and searchable
records, CSV exports. Uses: charging, fleet, money, accounts."""
