<?xml version="1.0" encoding="UTF-8"?>
<?cs # Fanvil (X4U, X6U, firmware 2.x): <mac>.cfg, lower-case MAC, holding XML in the <sysConf> format of
  firmware 2.x (older 1.x firmware used <VOIP_CONFIG_FILE> with SIP_Line_List_Entry instead).
  Rendered with html (XML) escaping.

  Point the phone at Centralita (HTTP basic auth):
    web UI > System (or Maintenance) > Auto Provision:
      Server URL  http://PBX-ADDRESS/provisioning/
      User Name   the provisioning user
      Password    the provisioning password
    Apply, then "Autoprovision Now" (or reboot). DHCP option 66 can carry the URL.

  Line 1 settings: PhoneNumber (SIP user), DisplayName, RegisterAddr, RegisterPort, RegisterUser
  (authentication user), RegisterPswd, EnableReg, Transport (0 UDP, 1 TCP, 3 TLS). ?><sysConf>
  <Version>2.0000000000</Version>
  <sip>
    <line index="1">
      <PhoneNumber><?cs var:Phone.Extension ?></PhoneNumber>
      <DisplayName><?cs var:Phone.DisplayName ?></DisplayName>
      <RegisterAddr><?cs var:Phone.Server ?></RegisterAddr>
      <RegisterPort><?cs var:Phone.Port ?></RegisterPort>
      <RegisterUser><?cs var:Phone.Extension ?></RegisterUser>
      <RegisterPswd><?cs var:Phone.Secret ?></RegisterPswd>
      <EnableReg>1</EnableReg>
      <Transport><?cs if:Phone.Transport == "tls" ?>3<?cs elif:Phone.Transport == "tcp" ?>1<?cs else ?>0<?cs /if ?></Transport>
    </line>
  </sip>
</sysConf>
