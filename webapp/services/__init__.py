"""Domain rules. Views, OCPP handlers and jobs call these; these never touch `request` or templates."""
