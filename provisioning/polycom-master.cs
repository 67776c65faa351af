<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<?cs # Polycom (VVX 250, VVX 450): <mac>.cfg is the per-phone MASTER configuration file. The UC Software
  reads settings only from the files listed in CONFIG_FILES (a per-phone <mac>.cfg is looked up first,
  then 000000000000.cfg), so this file lists <mac>-user.cfg, rendered from polycom.cs.
  APP_FILE_PATH "sip.ld" is the default master file's value: the phone upgrades only if that firmware
  file exists in the directory, and keeps its current software otherwise.
  How to point the phone at Centralita: see polycom.cs. ?><APPLICATION APP_FILE_PATH="sip.ld" CONFIG_FILES="<?cs var:Phone.Mac ?>-user.cfg" MISC_FILES="" LOG_FILE_DIRECTORY="" OVERRIDES_DIRECTORY="" CONTACTS_DIRECTORY="" LICENSE_DIRECTORY="" USER_PROFILES_DIRECTORY="" CALL_LISTS_DIRECTORY=""/>
