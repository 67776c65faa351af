"""Centralita never touches what it did not create (issue 7 section 3), against the real Asterisk whose pristine
configuration (setup_asterisk.py) holds the integrator's hand-written door phone [250] (endpoint, context = doors;
aor with a static contact), a hand-written `exten => 260,...` in the phones' context, and a [doors] context.

An extension whose categories or dialplan exist in Asterisk but are not Centralita's is refused by the form
(422, an error on the extension field saying it is configured outside Centralita), on add and on edit: Centralita
knows them from its verification's snapshot (the daemon verifies the PBX when it starts, issue 9). The last test
of the whole run checks that the integrator's configuration is exactly as written: pjsip.conf byte for byte (a
phone lives in files of its own), extensions.conf but for the one `include => centralita-phones` Centralita adds
to the phones' context."""
import os
import re

import pytest

import asterisk as ast
from test_phones import assert_on_asterisk, assert_saved, in_phone_files
from web import add_phone, edit_phone, field_errors, status

OUTSIDE = "outside Centralita"


def assert_refused_as_foreign(r, typed_ext):
    assert r.status == 422, (r.status, r.header("Location"))
    errors = field_errors(r.body)
    assert "extension" in errors, errors
    assert OUTSIDE in errors["extension"], errors
    assert set(errors) == {"extension"}, errors
    assert re.search(rf'<input name="extension"[^>]*\bvalue="{typed_ext}"', r.body), "the typed extension is kept"


@pytest.mark.parametrize("ext,what", [("250", "the integrator's door phone [250]"),
                                      ("260", "a hand-written exten 260 in the phones' context")])
def test_add_phone_on_a_foreign_extension_is_refused(stack, owner, ext, what):
    r, dt = add_phone(owner, ext, "Takeover", "yealink-t46u", f"00:15:65:AC:0{ext[0]}:{ext[1:]}",
                      what=f"add {ext} ({what}): refused")
    assert_refused_as_foreign(r, ext)
    assert status(owner, ext) is None
    assert_nothing_of_centralitas(ext)


def assert_nothing_of_centralitas(ext):
    """Right after a refusal: nothing Centralita would have created for ext is in Asterisk, and the door phone is
    as the integrator wrote it."""
    assert ast.phone_dialplan(ext) == [], f"{ext}@{ast.PHONES_DIALPLAN} was created: {ast.phone_dialplan(ext)}"
    assert in_phone_files(ext) == ([], []), f"Centralita's files hold {ext}: {in_phone_files(ext)}"
    assert not ast.context_exists(f"centralita-{ext}"), f"context centralita-{ext} was created"
    assert f"centralita-{ext}" not in ast.includes(ast.PHONES_CONTEXT), f"an include of centralita-{ext} was added"
    assert ast.auth(f"{ext}-auth") is None, f"auth {ext}-auth was created"
    if ext != "250":
        assert ast.endpoint(ext) is None, f"endpoint {ext} was created"
    ep, aor = ast.endpoint("250"), ast.aor("250")
    assert ep and ep["context"] == ["doors"] and ep.get("auth", [""]) == [""], ep and (ep["context"], ep["auth"])
    assert aor and aor["contact"] == ["sip:250@127.0.0.1:5099"], aor and aor.get("contact")


def test_edit_phone_to_a_foreign_extension_is_refused(stack, owner):
    r, dt = add_phone(owner, "240", "Moves", "yealink-t46u", "00:15:65:AC:02:40")
    assert_saved(r, dt)
    r, dt = edit_phone(owner, "240", extension="250", what="edit 240 -> 250: refused")
    assert_refused_as_foreign(r, "250")
    assert status(owner, "240")[0] == "unregistered"
    assert_on_asterisk("240", "Moves")
    assert_nothing_of_centralitas("250")


def _section(sections, name, type_=None):
    return [body for n, body in sections if n == name and (type_ is None or ("type", type_) in body)]


@pytest.mark.last
def test_integrators_configuration_untouched_after_everything(stack):
    # What Asterisk shows.
    ep = ast.endpoint("250")
    assert ep, "the door phone's endpoint [250] is gone"
    assert ep["context"] == ["doors"], ep.get("context")
    assert ep["aors"] == ["250"], ep.get("aors")
    assert ep.get("auth", [""]) == [""], ep.get("auth")
    aor = ast.aor("250")
    assert aor and aor["contact"] == ["sip:250@127.0.0.1:5099"], aor and aor.get("contact")
    assert "Playback(hello-world)" in ast.cli(f"dialplan show 260@{ast.PHONES_CONTEXT}")
    doors = ast.dialplan("doors")
    assert doors is not None and any("Dial(PJSIP/250,20)" in l for l in doors), doors
    # What the files hold. pjsip.conf: byte for byte as the integrator wrote it (phones live in files of their own).
    def text(name, pristine=False):
        with open(os.path.join(ast.PRISTINE if pristine else ast.ETC, name)) as f:
            return f.read()
    assert text("pjsip.conf") == text("pjsip.conf", pristine=True), "pjsip.conf was rewritten"
    now, pristine = ast.conf_file("pjsip.conf"), ast.conf_file("pjsip.conf", pristine=True)
    for type_ in ("endpoint", "aor"):
        assert _section(now, "250", type_) == _section(pristine, "250", type_), type_
    assert len(_section(now, "250")) == 2
    # extensions.conf: the integrator's contexts as written; the phones' context holds its original lines, in
    # order, plus the one include Centralita adds, once; the #tryinclude line survives Asterisk's rewrite.
    now, pristine = ast.conf_file("extensions.conf"), ast.conf_file("extensions.conf", pristine=True)
    assert [(n, b) for n, b in now if n != ast.PHONES_CONTEXT] == \
        [(n, b) for n, b in pristine if n != ast.PHONES_CONTEXT], "the integrator's other contexts changed"
    assert _section(now, "doors") == _section(pristine, "doors")
    phones_ctx = _section(now, ast.PHONES_CONTEXT)
    assert len(phones_ctx) == 1
    original = _section(pristine, ast.PHONES_CONTEXT)[0]
    assert [kv for kv in phones_ctx[0] if kv[0] != "include"] == original, phones_ctx[0]
    assert [kv for kv in phones_ctx[0] if kv[0] == "include"] == [("include", ast.PHONES_DIALPLAN)], phones_ctx[0]
    assert ("exten", "260,1,Playback(hello-world)") in phones_ctx[0]
    assert re.search(r'^#tryinclude\s+"?' + re.escape(ast.DIALPLAN_INCLUDE) + '"?\\s*$', text("extensions.conf"),
                     re.M), "the #tryinclude of the phones' dialplan files is gone"
    assert ast.includes(ast.PHONES_CONTEXT) == [ast.PHONES_DIALPLAN], ast.includes(ast.PHONES_CONTEXT)
    assert "centralita-250" not in ast.includes(ast.PHONES_CONTEXT)
    assert "centralita-260" not in ast.includes(ast.PHONES_CONTEXT)
    # Centralita's empty source is still empty, and nothing of 250 or 260 is in its files.
    with open(os.path.join(ast.ETC, ast.PHONES_DIR, "empty.conf")) as f:
        assert f.read() == "", "centralita/empty.conf is no longer empty"
    for ext in ("250", "260"):
        assert in_phone_files(ext) == ([], []), in_phone_files(ext)
