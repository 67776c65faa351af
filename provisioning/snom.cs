<?xml version="1.0" encoding="utf-8"?>
<?cs # Snom (D715, D785): <MAC>.xml with the MAC in UPPER case, which is what the {mac} placeholder of
  the setting URL expands to. Rendered with html (XML) escaping.

  Point the phone at Centralita (HTTP basic auth):
    web UI > Advanced > Update:
      Setting URL   http://PBX-ADDRESS/provisioning/{mac}.xml
    and the HTTP client credentials (settings http_client_user / http_client_pass: web UI > Advanced >
    Network or QoS/Security depending on firmware), or put them in the URL:
      http://USER:PASSWORD@PBX-ADDRESS/provisioning/{mac}.xml
    Snom's redirection service or DHCP option 66/67 can hand the same URL to new phones.

  Settings (identity 1, idx="1"): user_active, user_realname (display name), user_name (SIP user),
  user_pname (authentication user), user_pass, user_host (registrar host:port). perm="R": the user
  cannot change them. TCP/TLS go through user_outbound with a ;transport= parameter. ?><settings>
  <phone-settings>
    <user_active idx="1" perm="R">on</user_active>
    <user_realname idx="1" perm="R"><?cs var:Phone.DisplayName ?></user_realname>
    <user_name idx="1" perm="R"><?cs var:Phone.Extension ?></user_name>
    <user_pname idx="1" perm="R"><?cs var:Phone.Extension ?></user_pname>
    <user_pass idx="1" perm="R"><?cs var:Phone.Secret ?></user_pass>
    <user_host idx="1" perm="R"><?cs var:Phone.Server ?>:<?cs var:Phone.Port ?></user_host>
<?cs if:Phone.Transport != "udp" ?>    <user_outbound idx="1" perm="R"><?cs var:Phone.Server ?>:<?cs var:Phone.Port ?>;transport=<?cs var:Phone.Transport ?></user_outbound>
<?cs /if ?>  </phone-settings>
</settings>
