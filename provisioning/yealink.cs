#!version:1.0.0.1
<?cs # Yealink (T31P, T33G, T46U, T54W): <mac>.cfg, lower-case MAC, "key = value" lines.
  The first line must stay "#!version:1.0.0.1" or the phone ignores the file.

  Rendered with Config.VarEscapeMode "none" (set by src/provision/render.c): this is not XML, an entity
  would be shown literally. Safe because a value ends only at the end of its line and the library
  refuses CR, LF and every other control character in every field before rendering.

  Point the phone at Centralita (HTTP basic auth):
    web UI > Settings > Auto Provision:
      Server URL  http://PBX-ADDRESS/provisioning/    (the directory that holds <mac>.cfg)
      User Name   the provisioning user
      Password    the provisioning password
    then "Confirm" and "Auto Provision Now". The phone asks for y0000000000xx.cfg (common file, a 404
    is fine) and then <mac>.cfg. The same settings in a file: static.auto_provision.server.url,
    static.auto_provision.server.username, static.auto_provision.server.password.
    DHCP option 66 with the URL (user:password@ in it) works for phones fresh from the box.

  Keys: account.1.* of Yealink's auto-provisioning reference (T3x/T4x/T5x firmware 8x):
  sip_server.1.transport_type 0 UDP, 1 TCP, 2 TLS. ?>account.1.enable = 1
account.1.label = <?cs var:Phone.DisplayName ?>
account.1.display_name = <?cs var:Phone.DisplayName ?>
account.1.auth_name = <?cs var:Phone.Extension ?>
account.1.user_name = <?cs var:Phone.Extension ?>
account.1.password = <?cs var:Phone.Secret ?>
account.1.sip_server.1.address = <?cs var:Phone.Server ?>
account.1.sip_server.1.port = <?cs var:Phone.Port ?>
account.1.sip_server.1.transport_type = <?cs if:Phone.Transport == "tls" ?>2<?cs elif:Phone.Transport == "tcp" ?>1<?cs else ?>0<?cs /if ?>
