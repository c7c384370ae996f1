"""Fleet: stations, chargers and connectors (creating, changing, retiring them), presence, what can be booked
now, tariffs, opening hours, maintenance windows, charger passwords, the socket handshake and provisioning,
places and search, QR codes, plain HTTP devices and the console's remote commands. Uses: accounts, platform, charging
(a connector's status moves the lifecycle; retiring a charger finishes its stuck sessions) and booking
(the grace and ratings in what can be booked, a hold on the first free connector, maintenance and retiring
cancel bookings)."""
