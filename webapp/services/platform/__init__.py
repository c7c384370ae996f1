"""Platform: what every domain runs on and which knows none of them: the command bus and outbound OCPP
commands, timers, bulk SQL, snapshots, signing, the audit log, notifications and alerts, charger events and
the OCPP message log, redaction, retention and health. Uses: nothing else in services."""
