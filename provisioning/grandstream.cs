<?xml version="1.0" encoding="UTF-8"?>
<?cs # Grandstream (GXP2160, GRP2614): cfg<mac>.xml, lower-case MAC, <gs_provision> with P-values.
  The phone asks for cfg<mac>.xml, then cfg<mac>, then cfg.xml. Rendered with html (XML) escaping.

  Point the phone at Centralita (HTTP basic auth):
    web UI > Maintenance > Upgrade and Provisioning (GRP: System Settings > Upgrade and Provisioning):
      Config Upgrade Via   HTTP (or HTTPS)
      Config Server Path   PBX-ADDRESS/provisioning
      HTTP/HTTPS User Name the provisioning user
      HTTP/HTTPS Password  the provisioning password
    Save and "Provision"/reboot. DHCP option 66 can carry the server path.

  Account 1 P-values: P271 account active, P270 account name, P47 SIP server (host:port),
  P35 SIP user ID, P36 authenticate ID, P34 authenticate password, P3 display name,
  P31 SIP registration, P130 SIP transport (0 UDP, 1 TCP, 2 TLS). ?><gs_provision version="1">
  <mac><?cs var:Phone.Mac ?></mac>
  <config version="1">
    <P271>1</P271>
    <P270><?cs var:Phone.DisplayName ?></P270>
    <P47><?cs var:Phone.Server ?>:<?cs var:Phone.Port ?></P47>
    <P35><?cs var:Phone.Extension ?></P35>
    <P36><?cs var:Phone.Extension ?></P36>
    <P34><?cs var:Phone.Secret ?></P34>
    <P3><?cs var:Phone.DisplayName ?></P3>
    <P31>1</P31>
    <P130><?cs if:Phone.Transport == "tls" ?>2<?cs elif:Phone.Transport == "tcp" ?>1<?cs else ?>0<?cs /if ?></P130>
  </config>
</gs_provision>
