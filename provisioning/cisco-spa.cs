<flat-profile>
<?cs # Cisco SPA (SPA504G, SPA525G): spa<mac>.cfg, an XML "flat profile" (no XML declaration, like Cisco's
  own examples). Rendered with html (XML) escaping. ua="na": the user can neither see nor change the value.

  Point the phone at Centralita (HTTP basic auth), web UI > Admin Login > advanced > Voice > Provisioning:
      Provision Enable  Yes
      Profile Rule      [--uid USER --pwd PASSWORD]http://PBX-ADDRESS/provisioning/spa$MA.cfg
    ($MA expands to the lower-case MAC). Firmware without the --uid/--pwd options takes
      http://USER:PASSWORD@PBX-ADDRESS/provisioning/spa$MA.cfg
    Submit; the phone resyncs at once and then every Resync Periodic seconds.

  Line 1 parameters: Line_Enable_1_, Proxy_1_ (host:port), Register_1_, Display_Name_1_, User_ID_1_,
  Password_1_, Use_Auth_ID_1_ + Auth_ID_1_, SIP_Transport_1_ (UDP, TCP, TLS). ?>  <Line_Enable_1_ ua="na">Yes</Line_Enable_1_>
  <Proxy_1_ ua="na"><?cs var:Phone.Server ?>:<?cs var:Phone.Port ?></Proxy_1_>
  <Register_1_ ua="na">Yes</Register_1_>
  <Display_Name_1_ ua="na"><?cs var:Phone.DisplayName ?></Display_Name_1_>
  <User_ID_1_ ua="na"><?cs var:Phone.Extension ?></User_ID_1_>
  <Password_1_ ua="na"><?cs var:Phone.Secret ?></Password_1_>
  <Use_Auth_ID_1_ ua="na">Yes</Use_Auth_ID_1_>
  <Auth_ID_1_ ua="na"><?cs var:Phone.Extension ?></Auth_ID_1_>
  <SIP_Transport_1_ ua="na"><?cs if:Phone.Transport == "tls" ?>TLS<?cs elif:Phone.Transport == "tcp" ?>TCP<?cs else ?>UDP<?cs /if ?></SIP_Transport_1_>
</flat-profile>
