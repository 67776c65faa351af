<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<?cs # Polycom (VVX 250, VVX 450, UC Software 5.x/6.x): <mac>-user.cfg, listed by the per-phone master
  file <mac>.cfg (polycom-master.cs). Settings are XML attributes: rendered with html escaping.

  Point the phone at Centralita (HTTP basic auth):
    web UI (admin) > Settings > Provisioning Server:
      Server Type      HTTP (or HTTPS)
      Server Address   PBX-ADDRESS/provisioning
      Server User      the provisioning user
      Server Password  the provisioning password
    Save; the phone reboots and asks for <mac>.cfg. On the phone: Settings > Advanced (admin password)
    > Administration Settings > Network Configuration > Provisioning Server, same fields.
    In a file: device.prov.serverType, device.prov.serverName, device.prov.user, device.prov.password
    (each with its .set="1"). DHCP option 66/160 can carry the server address.

  Keys: reg.1.* of the UC Software administrator guide; server.1.transport UDPOnly, TCPOnly or TLS. ?><polycomConfig>
  <reg reg.1.address="<?cs var:Phone.Extension ?>" reg.1.auth.userId="<?cs var:Phone.Extension ?>" reg.1.auth.password="<?cs var:Phone.Secret ?>" reg.1.displayName="<?cs var:Phone.DisplayName ?>" reg.1.label="<?cs var:Phone.DisplayName ?>" reg.1.server.1.address="<?cs var:Phone.Server ?>" reg.1.server.1.port="<?cs var:Phone.Port ?>" reg.1.server.1.transport="<?cs if:Phone.Transport == "tls" ?>TLS<?cs elif:Phone.Transport == "tcp" ?>TCPOnly<?cs else ?>UDPOnly<?cs /if ?>"/>
</polycomConfig>
