#!/usr/bin/python3
"""testpbx: a test double of Asterisk 22's Manager Interface (AMI), for tests only.

It is never part of the product.  It speaks AMI the way Asterisk 22.10.1 (AMI 11.0.0) does, byte for byte where the
transcripts in shared/notes/ami-transcripts/ show it, and keeps configuration files in a directory the way
Asterisk's main/config.c writes them, so every Centralita test can run without Asterisk (not packaged for Debian 12).

Comments cite where each behaviour comes from: a function of Asterisk's main/manager.c or main/config.c, a
res_pjsip function, the project note ami.md, or a transcript file (NN-name).  Deviations are marked "DEVIATION".

Run it:      python3 tests/pbx/testpbx.py --dir CONFDIR --users USERSFILE [--port N] [--tls-port N --cert F
             --key F] [--control-port N] [--host 127.0.0.1]   -> prints "READY port=N tls_port=N control_port=N"
Import it:   pbx = TestPBX(confdir, users=...); pbx.start(); ...; pbx.stop()
Control it:  Control(host, pbx.control_port).call("counters")   (see README.md)
Standard library only.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

AMI_VERSION = "11.0.0"            # 01-login-and-basics: banner and CoreSettings AMIversion
ASTERISK_VERSION = "22.10.1"      # 01-login-and-basics: CoreSettings AsteriskVersion
BANNER = "Asterisk Call Manager/%s\r\n" % AMI_VERSION   # session_do: "Asterisk Call Manager/%s\r\n"

MAX_HEADERS = 128                 # AST_MAX_MANHEADERS, do_message; 07-limits
INBUF_MAX = 1024                  # sizeof(mansession_session.inbuf) - 1, get_input; 07-limits

# --- permission classes: perms[] in manager.c (order matters for authority_to_str) --------------------------------
EVENT_FLAG_SYSTEM = 1 << 0
EVENT_FLAG_CALL = 1 << 1
EVENT_FLAG_LOG = 1 << 2
EVENT_FLAG_VERBOSE = 1 << 3
EVENT_FLAG_COMMAND = 1 << 4
EVENT_FLAG_AGENT = 1 << 5
EVENT_FLAG_USER = 1 << 6
EVENT_FLAG_CONFIG = 1 << 7
EVENT_FLAG_DTMF = 1 << 8
EVENT_FLAG_REPORTING = 1 << 9
EVENT_FLAG_CDR = 1 << 10
EVENT_FLAG_DIALPLAN = 1 << 11
EVENT_FLAG_ORIGINATE = 1 << 12
EVENT_FLAG_AGI = 1 << 13
EVENT_FLAG_HOOKRESPONSE = 1 << 14
EVENT_FLAG_CC = 1 << 15
EVENT_FLAG_AOC = 1 << 16
EVENT_FLAG_TEST = 1 << 17
EVENT_FLAG_SECURITY = 1 << 18
EVENT_FLAG_MESSAGE = 1 << 19
INT_MAX = 2 ** 31 - 1

PERMS = [
    (EVENT_FLAG_SYSTEM, "system"), (EVENT_FLAG_CALL, "call"), (EVENT_FLAG_LOG, "log"),
    (EVENT_FLAG_VERBOSE, "verbose"), (EVENT_FLAG_COMMAND, "command"), (EVENT_FLAG_AGENT, "agent"),
    (EVENT_FLAG_USER, "user"), (EVENT_FLAG_CONFIG, "config"), (EVENT_FLAG_DTMF, "dtmf"),
    (EVENT_FLAG_REPORTING, "reporting"), (EVENT_FLAG_CDR, "cdr"), (EVENT_FLAG_DIALPLAN, "dialplan"),
    (EVENT_FLAG_ORIGINATE, "originate"), (EVENT_FLAG_AGI, "agi"), (EVENT_FLAG_CC, "cc"), (EVENT_FLAG_AOC, "aoc"),
    (EVENT_FLAG_TEST, "test"), (EVENT_FLAG_SECURITY, "security"), (EVENT_FLAG_MESSAGE, "message"),
    (INT_MAX, "all"), (0, "none"),
]

BLANKS = "".join(chr(i) for i in range(1, 33))   # ast_skip_blanks / ast_trim_blanks: every char < 33


def ast_strip(s):
    """ast_strip(): drop leading and trailing chars < 33."""
    return s.strip(BLANKS)


def ast_true(s):
    """ast_true() in main/utils.c."""
    return s is not None and s.strip().lower() in ("yes", "true", "y", "t", "1", "on")


def ast_false(s):
    """ast_false() in main/utils.c."""
    return s is not None and s.strip().lower() in ("no", "false", "n", "f", "0", "off")


def authority_to_str(authority):
    """authority_to_str(): labels of set bits, "all" included whenever any bit is set (INT_MAX)."""
    labels = [label for num, label in PERMS[:-1] if authority & num]
    return ",".join(labels) if labels else "<none>"


def ast_instring(bigstr, smallstr, delim=","):
    """ast_instring(): quirky on purpose (an item compares only its own length: "c" matches "call")."""
    val = bigstr
    while True:
        nxt = val.find(delim)
        if nxt >= 0:
            if val[:nxt] == smallstr[:nxt] and (len(smallstr) >= nxt):
                return True
            val = val[nxt + 1:]
            if not val:
                return False
        else:
            return smallstr == val


def get_perm(instr):
    """get_perm(): the class list of a manager.conf read/write line."""
    ret = 0
    if instr is None:
        return 0
    for num, label in PERMS:
        if ast_instring(instr, label, ","):
            ret |= num
    return ret


def strings_to_mask(string):
    """strings_to_mask(): Events header of Login / EventMask of Events."""
    if not string:
        return -1
    if all("0" <= c <= "9" for c in string):
        try:
            return int(string)
        except ValueError:
            return -1
    if ast_false(string):
        return 0
    if ast_true(string):
        ret = 0
        for num, _ in PERMS:
            ret |= num
        return ret
    return get_perm(string)


def md5_key(challenge, secret):
    """The Key of an MD5 Login: hex(md5(challenge + secret)) (authenticate(); 03-login-md5)."""
    return hashlib.md5((challenge + secret).encode("utf-8")).hexdigest()


# --- ast_strsep (main/utils.c): splitting that honours quotes and backslashes -------------------------------------

def _strip_quoted(s):
    """ast_strip_quoted(s, "'\\"", "'\\""): strip blanks, then one pair of matching outer quotes."""
    s = ast_strip(s)
    if s and s[0] in "'\"":
        if s[-1] == s[0]:
            s = s[1:-1] if len(s) > 1 else ""
    return s


def strsep(s, sep):
    """One call of ast_strsep(&s, sep, AST_STRSEP_STRIP): returns (token, rest); token None = no more."""
    if s is None:
        return None, None
    if s == "":
        return "", None           # ast_strlen_zero(st): return st (""), *iss = NULL
    stack = []
    i, n = 0, len(s)
    tok, rest = s, None
    while i < n:
        if s[i] == "\\":
            i += 1
            if i < n:
                i += 1
            else:
                break
            if i >= n:
                break
        ch = s[i]
        if ch in "'\"":
            if stack and stack[-1] == ch:
                stack.pop()
            else:
                stack.append(ch)
        if ch == sep and not stack:
            tok, rest = s[:i], s[i + 1:]
            break
        i += 1
    return _strip_quoted(tok), rest


def strsep_all(s, sep):
    out = []
    while True:
        tok, s = strsep(s, sep)
        if tok is None:
            return out
        out.append(tok)


# --- configuration files: the model of main/config.c ---------------------------------------------------------------

class ConfigInvalid(Exception):
    """CONFIG_STATUS_FILEINVALID."""


class Var:
    __slots__ = ("name", "value", "lineno", "object", "inherited", "precomments", "sameline", "trailing")

    def __init__(self, name, value, lineno=0, obj=False):
        self.name = name
        self.value = value
        self.lineno = lineno        # ast_variable_new(): 0 for variables made by UpdateConfig
        self.object = obj           # "=>" instead of "="
        self.inherited = False
        self.precomments = ""
        self.sameline = ""
        self.trailing = ""


class Category:
    __slots__ = ("name", "lineno", "ignored", "templates", "vars", "precomments", "sameline", "trailing")

    def __init__(self, name, lineno=-1, template=False):
        self.name = name
        self.lineno = lineno        # handle_updates: ast_category_new(cat, dfn, -1)
        self.ignored = template     # a template ("(!)") is an "ignored" category in config.c
        self.templates = []         # [(name, Category)]: ast_category_template_instance list
        self.vars = []
        self.precomments = ""
        self.sameline = ""
        self.trailing = ""

    def inherit(self, base):
        """ast_category_inherit(): remember the template and copy its variables, marked inherited."""
        self.templates.append((base.name, base))
        for v in base.vars:
            c = Var(v.name, v.value, v.lineno, False)
            c.inherited = True
            self.vars.append(c)


class Config:
    def __init__(self):
        self.cats = []


def does_category_match(cat, name, match, sep=","):
    """does_category_match() in config.c: name (case-insensitive) + filter expressions name_regex=value_regex."""
    if name and cat.name.lower() != name.lower():
        return False
    if not match:
        return not cat.ignored           # no filter: templates never match
    match_found = 0
    match_expressions = 0
    template_ok = False
    for nvp in strsep_all(match, sep):
        match_expressions += 1
        match_name, rest = strsep(nvp, "=")
        match_value, rest = strsep(rest, "=")
        if match_value is None:          # "an empty match value is OK.  A NULL match value (no =) is NOT."
            break
        if match_name == "TEMPLATES":
            if match_value.lower() == "include":
                if cat.ignored:
                    template_ok = True
                match_found += 1
            elif match_value.lower() == "restrict":
                if cat.ignored:
                    match_found += 1
                    template_ok = True
                else:
                    break
            continue
        try:                              # regcomp(REG_EXTENDED|REG_NOSUB) + regexec: unanchored search
            r_name = re.compile(match_name)
            r_value = re.compile(match_value)
        except re.error:
            break
        for v in cat.vars:
            if r_name.search(v.name) and r_value.search(v.value):
                match_found += 1
                break
    return match_found == match_expressions and (not cat.ignored or template_ok)


def browse_filtered(cfg, name, flt):
    """ast_category_browse_filtered() loop; a snapshot, so DelCat while browsing is safe."""
    return [c for c in list(cfg.cats) if does_category_match(c, name, flt)]


def category_get(cfg, name, flt, sep=","):
    """ast_category_get() / category_get_sep(): the first match."""
    for c in cfg.cats:
        if does_category_match(c, name, flt, sep):
            return c
    return None


def parse_config(text):
    """config_text_file_load() + process_text_line() with CONFIG_FLAG_WITHCOMMENTS, for one file.

    Keeps line numbers and comments the way config.c does: they drive where the writer puts blank lines.
    DEVIATION: #include/#exec directives and ;-- --; block comments are not supported (ignored)."""
    cfg = Config()
    comment_buffer = ""
    lline = ""
    cat = None
    last_cat = None
    last_var = None
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
        lines = [p + "\n" for p in parts]
    else:
        lines = [p + "\n" for p in parts[:-1]] + parts[-1:]
    lineno = 0
    for buf in lines:
        lineno += 1
        if lline:                                   # add the current lline buffer to the comment buffer
            comment_buffer += lline
            lline = ""
        if comment_buffer and not buf.strip(" \t\n\r"):
            comment_buffer += "\n"                  # blank line inside comments is kept with them
            continue
        start = 0
        while True:
            p = buf.find(";", start)
            if p < 0:
                break
            if p > 0 and buf[p - 1] == "\\":        # escaped semicolons aren't comments: "\;" -> ";"
                buf = buf[:p - 1] + buf[p:]
                start = p
                continue
            lline += buf[p:]                        # CB_ADD(&lline_buffer, comment_p)
            buf = buf[:p]
            break
        cur = ast_strip(buf)
        if not cur:
            continue
        if cur[0] == "[":                           # a category header
            c = cur.find("]")
            if c < 0:
                raise ConfigInvalid("parse error: no closing ']', line %d" % lineno)
            catname = cur[1:c]
            rest = cur[c + 1:]
            opts = None
            if rest.startswith("("):
                opts = rest[1:]
                e = opts.find(")")
                if e < 0:
                    raise ConfigInvalid("parse error: no closing ')', line %d" % lineno)
                opts = opts[:e]
            newcat = Category(catname, lineno)
            cat = newcat
            newcat.precomments = comment_buffer
            newcat.sameline = lline
            comment_buffer = ""
            lline = ""
            if opts is not None:
                for o in opts.split(","):           # strsep(&c, ",")
                    if o.lower() == "!":
                        cat.ignored = True
                    elif o.startswith("+"):
                        flt = o[1:]
                        existing = category_get(cfg, catname, flt, "&")
                        if existing is None:
                            raise ConfigInvalid("Category addition requested, but category '%s' does not exist"
                                                % catname)
                        if newcat is not None:
                            existing.ignored = existing.ignored or newcat.ignored
                            existing.vars.extend(newcat.vars)       # move_variables()
                            newcat = None
                        cat = existing
                    else:
                        base = category_get(cfg, o, "TEMPLATES=include")
                        if base is None:
                            raise ConfigInvalid("Inheritance requested, but category '%s' does not exist" % o)
                        cat.inherit(base)
            last_var = None
            last_cat = newcat
            if newcat is not None:
                cfg.cats.append(newcat)
        elif cur[0] == "#":
            continue                                # DEVIATION: directives ignored
        else:                                       # just a line (variable = value)
            if cat is None:
                raise ConfigInvalid("parse error: No category context for line %d" % lineno)
            esc = 1 if cur[0] == "\\" else 0
            if esc:
                cur = cur[1:]
                if not cur or ord(cur[0]) < 33:
                    raise ConfigInvalid("Invalid escape in line %d" % lineno)
            c = cur.find("=", esc)
            if c < 0:
                continue                            # "No '=' in line": warning only
            obj = False
            if c > esc and cur[c - 1] == "+":       # "name += more"
                name = ast_strip(cur[:c - 1])
                value = cur[c + 1:]
                replace = None
                for v in cat.vars:
                    if v.name == name:
                        replace = v
                if replace is not None:
                    replace.value = (replace.value + value).rstrip(BLANKS).lstrip(BLANKS)
                    continue
                value = ast_strip(value)
            else:
                name = ast_strip(cur[:c])
                value = cur[c + 1:]
                if value.startswith(">"):           # "Ignore > in =>"
                    obj = True
                    value = value[1:]
                value = ast_strip(value)
            if not name:
                continue                            # "No variable name in line": warning only
            v = Var(name, value, lineno, obj)
            last_cat = None
            last_var = v
            cat.vars.append(v)
            v.precomments = comment_buffer
            v.sameline = lline
            comment_buffer = ""
            lline = ""
    # end of file: anything in the comment buffer becomes the trailing comment of the last object
    if comment_buffer:
        if lline:
            comment_buffer += lline
        if last_cat is not None:
            last_cat.trailing = comment_buffer
        elif last_var is not None:
            last_var.trailing = comment_buffer
    return cfg


def gen_header(configfile, fn, generator):
    """gen_header() in config.c (ctime() carries its own newline)."""
    out = [";!\n", ";! Automatically generated configuration file\n"]
    if configfile != fn:
        out.append(";! Filename: %s (%s)\n" % (configfile, fn))
    else:
        out.append(";! Filename: %s\n" % configfile)
    out.append(";! Generator: %s\n" % generator)
    out.append(";! Creation Date: %s\n" % time.ctime())
    out.append(";!\n")
    return "".join(out)


def save_config(cfg, configfile, fn, generator="Manager", preserve_effective_context=True):
    """ast_config_text_file_save2() for one file: the whole text Asterisk would write.

    Blank lines come from insert_leading_blank_lines(): the gap between an object's original line number and the
    last written one (a Delete therefore leaves a blank line; new objects, numbered -1/0, get none)."""
    out = [gen_header(configfile, fn, generator)]
    fi_lineno = [1]                                 # set_fn(): inclfile scratch pad, lineno = 1

    def leading_blank_lines(precomments, lineno):
        precomment_lines = precomments.count("\n")
        gap = lineno - precomment_lines - fi_lineno[0]
        if gap < 0 or lineno == 0:                  # insertions / replacements mess up the numbering
            return
        if gap < 5:
            out.append("\n" * gap)
        else:
            out.append("\n")                        # deletion occurred: a single blank line
        fi_lineno[0] = lineno + 1

    for cat in cfg.cats:
        leading_blank_lines(cat.precomments, cat.lineno)
        cmt = cat.precomments
        while cmt.startswith(";!"):                 # the old ;! header is not written back
            nl = cmt.find("\n", 1)
            cmt = cmt[nl + 1:] if nl >= 0 else ""
        out.append(cmt)
        out.append("[%s]" % cat.name)
        if cat.ignored or cat.templates:
            out.append("(")
            if cat.ignored:
                out.append("!")
            if cat.ignored and cat.templates:
                out.append(",")
            out.append(",".join(t[0] for t in cat.templates))
            out.append(")")
        if cat.sameline:
            out.append(cat.sameline)
        else:
            out.append("\n")
        if cat.trailing and not cat.trailing.startswith(";!"):
            out.append(cat.trailing)
        for var in cat.vars:
            found = False
            for _, inst in cat.templates:
                for v in inst.vars:
                    if preserve_effective_context:
                        if var.name.lower() == v.name.lower() and var.value == v.value:
                            found = True
                            break
                    else:
                        if var.inherited or (var.name.lower() == v.name.lower() and var.value == v.value):
                            found = True
                            break
                if found:
                    break
            if found:
                continue
            leading_blank_lines(var.precomments, var.lineno)
            if var.precomments and not var.precomments.startswith(";!"):
                out.append(var.precomments)
            escaped = var.value.replace(";", "\\;")           # ast_escape_semicolons()
            op = "=>" if var.object else "="
            if var.sameline:
                out.append("%s %s %s  %s" % (var.name, op, escaped, var.sameline))
            else:
                out.append("%s %s %s\n" % (var.name, op, escaped))
            if var.trailing and not var.trailing.startswith(";!"):
                out.append(var.trailing)
    return "".join(out)


# UpdateConfig results: enum error_type + action_updateconfig messages
UPDATE_ERRORS = {
    "UNKNOWN_ACTION": "Unknown action command",
    "UNKNOWN_CATEGORY": "Given category does not exist",
    "UNSPECIFIED_CATEGORY": "Category not specified",
    "UNSPECIFIED_ARGUMENT": "Problem with category, value, or line (if required)",
    "FAILURE_ALLOCATION": "Memory allocation failure, this should not happen",
    "FAILURE_NEWCAT": "Create category did not complete successfully",
    "FAILURE_DELCAT": "Delete category did not complete successfully",
    "FAILURE_EMPTYCAT": "Empty category did not complete successfully",
    "FAILURE_UPDATE": "Update did not complete successfully",
    "FAILURE_DELETE": "Delete did not complete successfully",
    "FAILURE_APPEND": "Append did not complete successfully",
    "FAILURE_TEMPLATE": "Template category not found",
}


def _scan_int(s):
    """sscanf(s, "%30d"): leading blanks, optional sign, digits."""
    m = re.match(r"[ \t\n\r\f\v]*([+-]?\d{1,30})", s or "")
    return int(m.group(1)) if m else None


def variable_update(cat, var, value, match, obj):
    """ast_variable_update(): replace the LAST variable named var (and valued match, if given)."""
    matchvar = None
    for i, cur in enumerate(cat.vars):
        if cur.name.lower() != var.lower() or (match and cur.value.lower() != match.lower()):
            continue
        matchvar = i
    if matchvar is None:
        return False
    cur = cat.vars[matchvar]
    newer = Var(var, value, cur.lineno, cur.object or obj)   # ast_variable_move() keeps line and comments
    newer.precomments, newer.sameline, newer.trailing = cur.precomments, cur.sameline, cur.trailing
    cat.vars[matchvar] = newer
    return True


def variable_delete(cat, var, match, line):
    """ast_variable_delete(): by item number (Line), else every variable named var (valued match)."""
    req_item = -1
    if line:
        req_item = _scan_int(line)
        if req_item is None or req_item < 0:
            return False
    keep = []
    res = False
    for num, cur in enumerate(cat.vars):
        if (req_item >= 0 and num == req_item) or (
                req_item < 0 and cur.name.lower() == (var or "").lower()
                and (not match or cur.value.lower() == match.lower())):
            res = True
        else:
            keep.append(cur)
    cat.vars[:] = keep
    return res


def variable_insert(cat, v, line):
    """ast_variable_insert(): 0 = first, N = after the N-th (DEVIATION: past the end appends, where Asterisk
    would crash)."""
    n = _scan_int(line)
    if n is None:
        return
    if n <= 0:
        cat.vars.insert(0, v)
    else:
        cat.vars.insert(min(n, len(cat.vars)), v)


def handle_updates(cfg, get, dfn):
    """handle_updates() in manager.c: apply Action-NNNNNN... to cfg; returns None or an UPDATE_ERRORS key.

    get(name) is astman_get_header().  The first missing Action-N ends the list."""
    result = None
    for x in range(100000):
        action = get("Action-%06d" % x)
        if not action:
            break
        cat = get("Cat-%06d" % x)
        if not cat:
            result = "UNSPECIFIED_CATEGORY"
            break
        var = get("Var-%06d" % x)
        value = get("Value-%06d" % x)
        obj = False
        if value and value[0] == ">":
            obj = True
            value = value[1:]
        match = get("Match-%06d" % x)
        line = get("Line-%06d" % x)
        options = get("Options-%06d" % x)
        allowdups = istemplate = ignoreerror = False
        inherit = None
        catfilter = None
        if options:
            for token in strsep_all(options, ","):
                if token.lower() == "allowdups":
                    allowdups = True
                elif token.lower() == "template":
                    istemplate = True
                elif token.lower() == "ignoreerror":
                    ignoreerror = True
                elif token.startswith("inherit"):
                    _, rest = strsep(token, "=")
                    c, _ = strsep(rest, "=")
                    if c is not None:
                        inherit = c
                elif token.startswith("catfilter"):   # unquoted "type=aor" is cut at its '=': matches nothing
                    _, rest = strsep(token, "=")
                    c, _ = strsep(rest, "=")
                    if c is not None:
                        catfilter = c
        act = action.lower()
        if act == "newcat":
            if not allowdups and category_get(cfg, cat, "TEMPLATES=include"):
                if ignoreerror:
                    continue
                result = "FAILURE_NEWCAT"
                break
            category = Category(cat, -1, istemplate)
            if inherit is not None:
                for tmpl_name in strsep_all(inherit, ","):
                    template = category_get(cfg, tmpl_name, "TEMPLATES=restrict")
                    if template is not None:
                        category.inherit(template)
                    else:
                        # the break leaves only the inherit loop: later actions still run (handle_updates)
                        category = None
                        result = "FAILURE_TEMPLATE"
                        break
            if category is not None:
                if not match:
                    cfg.cats.append(category)
                else:                               # ast_category_insert(): before the category named match
                    for i, c in enumerate(cfg.cats):
                        if c.name.lower() == match.lower():
                            cfg.cats.insert(i, category)
                            break
                    else:
                        result = "FAILURE_NEWCAT"
                        break
        elif act == "renamecat":
            if not value:
                result = "UNSPECIFIED_ARGUMENT"
                break
            found = browse_filtered(cfg, cat, catfilter)
            for c in found:
                c.name = value
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
        elif act == "delcat":
            found = browse_filtered(cfg, cat, catfilter)
            for c in found:
                cfg.cats.remove(c)
            if not found and not ignoreerror:
                result = "UNKNOWN_CATEGORY"
                break
        elif act == "emptycat":
            found = browse_filtered(cfg, cat, catfilter)
            for c in found:
                c.vars = []                         # ast_category_empty(): variables go, templates stay
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
        elif act == "update":
            if not var:
                result = "UNSPECIFIED_ARGUMENT"
                break
            found = browse_filtered(cfg, cat, catfilter)
            foundvar = False
            for c in found:
                if variable_update(c, var, value, match, obj):
                    foundvar = True
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
            if not foundvar:                        # Update never creates: use Append (ami.md)
                result = "FAILURE_UPDATE"
                break
        elif act == "delete":
            if not var and not line:
                result = "UNSPECIFIED_ARGUMENT"
                break
            found = browse_filtered(cfg, cat, catfilter)
            foundvar = False
            for c in found:
                if variable_delete(c, var, match, line):
                    foundvar = True
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
            if not foundvar and not ignoreerror:    # 06-updateconfig-errors e6: "Update did not complete"
                result = "FAILURE_UPDATE"
                break
        elif act == "append":
            if not var:
                result = "UNSPECIFIED_ARGUMENT"
                break
            found = browse_filtered(cfg, cat, catfilter)
            for c in found:
                c.vars.append(Var(var, value, 0, obj or (match.lower() == "object")))
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
        elif act == "insert":
            if not var or not line:
                result = "UNSPECIFIED_ARGUMENT"
                break
            found = browse_filtered(cfg, cat, catfilter)
            for c in found:
                variable_insert(c, Var(var, value, 0, False), line)
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
        else:
            result = "UNKNOWN_ACTION"
            break
    return result


# --- users file (manager.conf) -------------------------------------------------------------------------------------

class User:
    def __init__(self, name):
        self.name = name
        self.secret = None
        self.readperm = 0
        self.writeperm = 0
        self.permit = []
        self.deny = []
        self.allowmultiplelogin = True


def load_users(text):
    """__init_manager(): [general] options and one [user] section per AMI user (permit/deny parsed, not applied)."""
    cfg = parse_config(text)
    general = {"timestampevents": "yes", "authtimeout": "30", "authlimit": "50", "allowmultiplelogin": "yes"}
    users = {}
    for cat in cfg.cats:
        if cat.ignored:
            continue
        if cat.name.lower() == "general":
            for v in cat.vars:
                general[v.name.lower()] = v.value
            continue
        u = User(cat.name)
        u.allowmultiplelogin = ast_true(general.get("allowmultiplelogin", "yes"))
        read = write = None
        for v in cat.vars:
            n = v.name.lower()
            if n == "secret":
                u.secret = v.value
            elif n == "read":
                read = v.value
            elif n == "write":
                write = v.value
            elif n == "permit":
                u.permit.append(v.value)
            elif n == "deny":
                u.deny.append(v.value)
            elif n == "allowmultiplelogin":
                u.allowmultiplelogin = ast_true(v.value)
        if read is not None:
            u.readperm = get_perm(read)
        if write is not None:
            u.writeperm = get_perm(write)
        users[cat.name.lower()] = u
    return general, users


def users_text(users, general=None):
    """Build a manager.conf-like users file from {name: {"secret":..,"read":..,"write":..}}."""
    out = ["[general]\n"]
    for k, v in (general or {}).items():
        out.append("%s = %s\n" % (k, v))
    for name, u in users.items():
        out.append("\n[%s]\n" % name)
        for key in ("secret", "read", "write", "permit", "deny"):
            if key in u:
                out.append("%s = %s\n" % (key, u[key]))
    return "".join(out)


def make_cert(directory, cn="localhost"):
    """Generate a self-signed certificate + key into directory with the openssl CLI; returns (cert, key)."""
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, "testpbx-cert.pem")
    key = os.path.join(directory, "testpbx-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=%s" % cn, "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % cn],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


# --- events: field order as Asterisk 22 sends them (11-call-events) ---------------------------------------------

CHANNEL_FIELDS = ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
                  "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid",
                  "Linkedid"]
DEST_FIELDS = ["Dest" + f for f in CHANNEL_FIELDS]
BRIDGE_FIELDS = ["BridgeUniqueid", "BridgeType", "BridgeTechnology", "BridgeCreator", "BridgeName",
                 "BridgeNumChannels", "BridgeVideoSourceMode"]
CDR_FIELDS = ["AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
              "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime", "EndTime", "Duration",
              "BillableSeconds", "Disposition", "AMAFlags", "UniqueID", "UserField"]

# event name -> (class, field order)
EVENTS = {
    "FullyBooted": (EVENT_FLAG_SYSTEM, ["Uptime", "LastReload", "Status"]),
    "PeerStatus": (EVENT_FLAG_SYSTEM, ["ChannelType", "Peer", "PeerStatus"]),
    "DeviceStateChange": (EVENT_FLAG_CALL, ["Device", "State"]),
    "Newchannel": (EVENT_FLAG_CALL, CHANNEL_FIELDS),
    "Newstate": (EVENT_FLAG_CALL, CHANNEL_FIELDS),
    "NewCallerid": (EVENT_FLAG_CALL, CHANNEL_FIELDS + ["CID-CallingPres"]),
    "NewConnectedLine": (EVENT_FLAG_CALL, CHANNEL_FIELDS),
    "DialBegin": (EVENT_FLAG_CALL, CHANNEL_FIELDS + DEST_FIELDS + ["DialString"]),
    "DialState": (EVENT_FLAG_CALL, CHANNEL_FIELDS + DEST_FIELDS + ["DialStatus"]),
    "DialEnd": (EVENT_FLAG_CALL, CHANNEL_FIELDS + DEST_FIELDS + ["DialStatus"]),
    "BridgeCreate": (EVENT_FLAG_CALL, BRIDGE_FIELDS),
    "BridgeDestroy": (EVENT_FLAG_CALL, BRIDGE_FIELDS),
    "BridgeEnter": (EVENT_FLAG_CALL, BRIDGE_FIELDS + CHANNEL_FIELDS),
    "BridgeLeave": (EVENT_FLAG_CALL, BRIDGE_FIELDS + CHANNEL_FIELDS),
    "HangupRequest": (EVENT_FLAG_CALL, CHANNEL_FIELDS + ["Cause"]),
    "SoftHangupRequest": (EVENT_FLAG_CALL, CHANNEL_FIELDS + ["Cause"]),
    "Hangup": (EVENT_FLAG_CALL, CHANNEL_FIELDS + ["Cause", "Cause-txt"]),
    "Cdr": (EVENT_FLAG_CDR, CDR_FIELDS),
}

FIELD_DEFAULTS = {
    "CallerIDName": "<unknown>", "ConnectedLineNum": "<unknown>", "ConnectedLineName": "<unknown>",
    "Language": "en", "Priority": "1", "ChannelState": "0", "ChannelStateDesc": "Down",
    "DestCallerIDName": "<unknown>", "DestConnectedLineNum": "<unknown>", "DestConnectedLineName": "<unknown>",
    "DestLanguage": "en", "DestPriority": "1", "DestChannelState": "0", "DestChannelStateDesc": "Down",
    "BridgeType": "basic", "BridgeTechnology": "simple_bridge", "BridgeCreator": "<unknown>",
    "BridgeName": "<unknown>", "BridgeNumChannels": "0", "BridgeVideoSourceMode": "none",
    "Status": "Fully Booted", "AMAFlags": "DOCUMENTATION", "ChannelType": "PJSIP",
}

CLASS_NAMES = {label: num for num, label in PERMS}


def build_event(name, fields, timestamp=True, klass=None):
    """__manager_event_sessions_va(): "Event:", "Privilege:", optional "Timestamp:", then the fields.

    Known events get Asterisk's field order with defaults for missing fields; extra fields follow in given order.
    fields: dict or list of [name, value] pairs.  Returns (category, text)."""
    if isinstance(fields, dict):
        pairs = list(fields.items())
    else:
        pairs = [(k, v) for k, v in (fields or [])]
    given = collections.OrderedDict((str(k), "" if v is None else str(v)) for k, v in pairs)
    if klass is not None:
        if isinstance(klass, int):
            category = klass
        else:
            category = 0
            for c in str(klass).split(","):
                category |= CLASS_NAMES.get(c.strip(), 0)
    elif name in EVENTS:
        category = EVENTS[name][0]
    else:
        category = EVENT_FLAG_USER
    out = ["Event: %s\r\n" % name, "Privilege: %s\r\n" % authority_to_str(category)]
    if timestamp:
        now = time.time()
        out.append("Timestamp: %d.%06d\r\n" % (int(now), int((now - int(now)) * 1000000)))
    order = EVENTS.get(name, (0, []))[1]
    for f in order:
        if f in given:
            out.append("%s: %s\r\n" % (f, given.pop(f)))
        else:
            out.append("%s: %s\r\n" % (f, FIELD_DEFAULTS.get(f, "")))
    for k, v in given.items():
        out.append("%s: %s\r\n" % (k, v))
    out.append("\r\n")
    return category, "".join(out)


def call_events(caller="201", callee="202", context="from-internal", answered=True, duration=2, billsec=None,
                disposition=None, start=None, uniqueid=None, hangup_by="caller"):
    """The events of one call caller -> callee as Asterisk 22 sends them (shape of 11-call-events)."""
    start = time.time() if start is None else float(start)
    base = uniqueid or "%d.%d" % (int(start), random.randint(0, 999))
    u1, u2 = base, base.rsplit(".", 1)[0] + "." + str(int(base.rsplit(".", 1)[1]) + 1)
    ch1 = "PJSIP/%s-%08x" % (caller, random.randint(0, 0xffff))
    ch2 = "PJSIP/%s-%08x" % (callee, random.randint(0, 0xffff))
    bridge = "%08x-%04x-%04x-%04x-%012x" % (random.getrandbits(32), random.getrandbits(16), random.getrandbits(16),
                                            random.getrandbits(16), random.getrandbits(48))
    if disposition is None:
        disposition = "ANSWERED" if answered else "NO ANSWER"
    if billsec is None:
        billsec = duration if answered else 0

    def chan(name, state, desc, cid, conn, exten, uid):
        return [("Channel", name), ("ChannelState", state), ("ChannelStateDesc", desc), ("CallerIDNum", cid),
                ("CallerIDName", "<unknown>"), ("ConnectedLineNum", conn), ("ConnectedLineName", "<unknown>"),
                ("Language", "en"), ("AccountCode", ""), ("Context", context), ("Exten", exten),
                ("Priority", "1"), ("Uniqueid", uid), ("Linkedid", u1)]

    def dest(lst):
        return [("Dest" + k, v) for k, v in lst]

    def br(n, tech="simple_bridge"):
        return [("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeTechnology", tech),
                ("BridgeCreator", "<unknown>"), ("BridgeName", "<unknown>"), ("BridgeNumChannels", str(n)),
                ("BridgeVideoSourceMode", "none")]

    ev = []
    ev.append(("Newchannel", chan(ch1, "4", "Ring", caller, "<unknown>", callee, u1)))
    ev.append(("Newchannel", chan(ch2, "0", "Down", "<unknown>", "<unknown>", "s", u2)))
    ev.append(("DialBegin", chan(ch1, "4", "Ring", caller, "<unknown>", callee, u1)
               + dest(chan(ch2, "0", "Down", callee, caller, callee, u2)) + [("DialString", callee)]))
    ev.append(("Newstate", chan(ch2, "5", "Ringing", callee, caller, callee, u2)))
    ev.append(("DeviceStateChange", [("Device", "PJSIP/" + callee), ("State", "RINGING")]))
    ev.append(("DeviceStateChange", [("Device", "PJSIP/" + caller), ("State", "INUSE")]))
    if answered:
        ev.append(("Newstate", chan(ch2, "6", "Up", callee, caller, callee, u2)))
        ev.append(("DialEnd", chan(ch1, "4", "Ring", caller, callee, callee, u1)
                   + dest(chan(ch2, "6", "Up", callee, caller, "", u2)) + [("DialStatus", "ANSWER")]))
        ev.append(("Newstate", chan(ch1, "6", "Up", caller, callee, callee, u1)))
        ev.append(("DeviceStateChange", [("Device", "PJSIP/" + callee), ("State", "INUSE")]))
        ev.append(("BridgeCreate", br(0)))
        ev.append(("BridgeEnter", br(1) + chan(ch2, "6", "Up", callee, caller, "", u2)))
        ev.append(("BridgeEnter", br(2) + chan(ch1, "6", "Up", caller, callee, callee, u1)))
        first, second = ((ch1, caller, callee, callee, u1), (ch2, callee, caller, "", u2))
        if hangup_by != "caller":
            first, second = second, first
        ev.append(("HangupRequest", chan(first[0], "6", "Up", first[1], first[2], first[3], first[4])
                   + [("Cause", "16")]))
        ev.append(("BridgeLeave", br(1, "native_rtp") + chan(first[0], "6", "Up", first[1], first[2], first[3],
                                                             first[4])))
        ev.append(("BridgeLeave", br(0, "native_rtp") + chan(second[0], "6", "Up", second[1], second[2],
                                                             second[3], second[4])))
        ev.append(("BridgeDestroy", br(0, "native_rtp")))
        for c in (first, second):
            ev.append(("Hangup", chan(c[0], "6", "Up", c[1], c[2], c[3], c[4])
                       + [("Cause", "16"), ("Cause-txt", "Normal Clearing")]))
    else:
        status = {"BUSY": "BUSY", "FAILED": "CHANUNAVAIL"}.get(disposition, "NOANSWER")
        ev.append(("DialEnd", chan(ch1, "4", "Ring", caller, callee, callee, u1)
                   + dest(chan(ch2, "5", "Ringing", callee, caller, callee, u2)) + [("DialStatus", status)]))
        ev.append(("Hangup", chan(ch2, "5", "Ringing", callee, caller, callee, u2)
                   + [("Cause", "16"), ("Cause-txt", "Normal Clearing")]))
        ev.append(("Hangup", chan(ch1, "4", "Ring", caller, callee, callee, u1)
                   + [("Cause", "16"), ("Cause-txt", "Normal Clearing")]))
    ev.append(("DeviceStateChange", [("Device", "PJSIP/" + caller), ("State", "NOT_INUSE")]))
    ev.append(("DeviceStateChange", [("Device", "PJSIP/" + callee), ("State", "NOT_INUSE")]))
    fmt = "%Y-%m-%d %H:%M:%S"
    end = start + duration
    ev.append(("Cdr", [("AccountCode", ""), ("Source", caller), ("Destination", callee),
                       ("DestinationContext", context), ("CallerID", '"" <%s>' % caller), ("Channel", ch1),
                       ("DestinationChannel", ch2), ("LastApplication", "Dial"),
                       ("LastData", "PJSIP/%s,20" % callee),
                       ("StartTime", time.strftime(fmt, time.localtime(start))),
                       ("AnswerTime", time.strftime(fmt, time.localtime(end - billsec)) if answered else ""),
                       ("EndTime", time.strftime(fmt, time.localtime(end))), ("Duration", str(int(duration))),
                       ("BillableSeconds", str(int(billsec))), ("Disposition", disposition),
                       ("AMAFlags", "DOCUMENTATION"), ("UniqueID", u1), ("UserField", "")]))
    return ev


# --- the actions table: ast_manager_register_xml_core() in __init_manager + res_pjsip registrations ----------------

ACTIONS = collections.OrderedDict()


def action(name, authority, synopsis):
    def deco(fn):
        ACTIONS[name.lower()] = (name, authority, fn, synopsis)
        return fn
    return deco


class Message:
    """struct message: the raw header lines of one request (at most MAX_HEADERS)."""

    def __init__(self, headers):
        self.headers = headers

    def get(self, var, skip_empty=False, last=False):
        """__astman_get_header(): case-insensitive "Name:", leading blanks of the value skipped."""
        result = ""
        lv = var.lower()
        n = len(var)
        for h in self.headers:
            if h[:n].lower() == lv and h[n:n + 1] == ":":
                value = h[n + 1:].lstrip(BLANKS)
                if skip_empty and not value:
                    continue
                if last:
                    result = value
                else:
                    return value
        return result


class Session:
    """One AMI connection: session_do() / do_message() / get_input() / process_message()."""

    def __init__(self, pbx, sock, addr, tls_ctx):
        self.pbx = pbx
        self.sock = sock
        self.addr = addr
        self.tls_ctx = tls_ctx
        self.inbuf = b""
        self.pending = b""
        self.too_long = False              # s->parsing == MESSAGE_LINE_TOO_LONG
        self.authenticated = False
        self.username = ""
        self.readperm = 0
        self.writeperm = 0
        self.send_events = -1              # build_mansession(): send_events = -1
        self.challenge = ""
        self.authstart = time.time()
        self.out = []
        self.events = collections.deque()
        self.ev_lock = threading.Lock()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.closed = False
        self.counted_unauth = True

    # -- output
    def append(self, text):
        """astman_append(): buffered, flushed after each action (see flush)."""
        self.out.append(text)

    def send_response_full(self, m, resp, msg, listflag=None, moredata=False):
        """astman_send_response_full(): Response, ActionID (if any), EventList, Message, blank line."""
        s = "Response: %s\r\n" % resp
        aid = m.get("ActionID")
        if aid:
            s += "ActionID: %s\r\n" % aid
        if listflag:
            s += "EventList: %s\r\n" % listflag
        if not moredata:
            if msg is not None:
                s += "Message: %s\r\n" % msg
            s += "\r\n"
        self.append(s)

    def send_error(self, m, msg):
        self.send_response_full(m, "Error", msg)

    def send_ack(self, m, msg=None):
        self.send_response_full(m, "Success", msg)

    def start_ack(self, m):
        self.send_response_full(m, "Success", None, moredata=True)

    def send_listack(self, m, msg, flag="start"):
        self.send_response_full(m, "Success", msg, flag)

    def list_complete(self, m, event, count, extra=""):
        """astman_send_list_complete_start() + _end()."""
        s = "Event: %s\r\n" % event
        aid = m.get("ActionID")
        if aid:
            s += "ActionID: %s\r\n" % aid
        s += "EventList: Complete\r\nListItems: %d\r\n%s\r\n" % (count, extra)
        self.append(s)

    def flush(self):
        if self.out:
            data = "".join(self.out).encode("utf-8", "surrogateescape")
            self.out = []
            self.write(data)

    def write(self, data):
        try:
            self.sock.sendall(data)
        except (OSError, ValueError):
            self.closed = True

    # -- events
    def queue_event(self, category, text):
        with self.ev_lock:
            self.events.append((category, text))
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    def process_events(self):
        """process_events(): deliver queued events this session may see (readperm and event mask)."""
        while True:
            with self.ev_lock:
                if not self.events:
                    return
                category, text = self.events.popleft()
            if category is None:           # raw bytes from the control channel
                self.write(text.encode("utf-8", "surrogateescape"))
                continue
            if (self.authenticated and (self.readperm & category) == category
                    and (self.send_events & category) == category):
                self.write(text.encode("utf-8", "surrogateescape"))

    # -- input
    def _fill(self):
        """Read more input, delivering events while idle.  Returns False on EOF/error/kill."""
        while True:
            self.process_events()
            if self.closed:
                return False
            if self.pending:
                return True
            timeout = None
            if not self.authenticated:
                timeout = self.pbx.authtimeout - (time.time() - self.authstart)
                if timeout < 0:
                    return False           # do_message(): "failed to authenticate in %d seconds"
            try:
                if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                    r = [self.sock]
                else:
                    r, _, _ = select.select([self.sock, self.wake_r], [], [], timeout)
                if not r:
                    continue
                if self.wake_r in r:
                    try:
                        self.wake_r.recv(4096)
                    except OSError:
                        pass
                if self.sock in r:
                    data = self.sock.recv(65536)
                    if not data:
                        return False
                    self.pending = data
                    return True
            except (OSError, ValueError):
                return False

    def get_input(self):
        """get_input(): one line (CRLF or bare LF ends it); a line that fills the 1024-byte buffer is discarded,
        keeping its last byte, and the message is marked "line too long" (07-limits, 08-bare-lf-injection)."""
        while True:
            i = self.inbuf.find(b"\n")
            if i >= 0:
                line = self.inbuf[:i]
                if line.endswith(b"\r"):
                    line = line[:-1]
                self.inbuf = self.inbuf[i + 1:]
                return line
            if len(self.inbuf) >= INBUF_MAX:
                self.inbuf = self.inbuf[-1:]
                self.too_long = True
            if not self.pending and not self._fill():
                return None
            room = INBUF_MAX - len(self.inbuf)
            self.inbuf += self.pending[:room]
            self.pending = self.pending[room:]

    def read_message(self):
        """do_message(): collect header lines until an empty one.  Returns (Message, hdr_loss) or None."""
        headers = []
        hdr_loss = False
        while True:
            line = self.get_input()
            if line is None:
                return None
            line = line.split(b"\0", 1)[0]     # a NUL ends the C string
            if not line:
                return Message(headers), hdr_loss
            if len(headers) < MAX_HEADERS:
                headers.append(line.decode("utf-8", "surrogateescape"))
            else:
                hdr_loss = True                 # "Too many lines in message"

    # -- main loop
    def run(self):
        pbx = self.pbx
        try:
            if self.tls_ctx is not None:
                self.sock.settimeout(10)
                self.sock = self.tls_ctx.wrap_socket(self.sock, server_side=True)
                self.sock.settimeout(None)
            try:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            self.write(BANNER.encode())
            while not self.closed:
                got = self.read_message()
                if got is None:
                    break
                m, hdr_loss = got
                if self.handle(m, hdr_loss) < 0:
                    break
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            self.close()
            pbx._session_gone(self)

    def handle(self, m, hdr_loss):
        """One message: parse errors, then the control-channel faults, then process_message()."""
        pbx = self.pbx
        if hdr_loss:
            self.send_error(m, "Too many lines in message or allocation failure")   # do_message()
            self.flush()
            return 0
        if self.too_long:
            self.send_error(m, "Failed to parse message: line too long")            # handle_parse_error()
            self.too_long = False
            self.flush()
            return 0
        name = m.get("Action", skip_empty=True)
        fault, kill_all = pbx._fault_for(name)
        if fault == "before":                   # control: drop_after, mode "before": not executed
            if kill_all:
                pbx.kill_sessions()
            self.kill()
            return -1
        res = self.process_message(m)
        if fault == "after":                    # control: drop_after, mode "after": executed, no answer
            self.out = []
            if kill_all:
                pbx.kill_sessions()
            self.kill()
            return -1
        delay = pbx._delay_for(name)
        if delay:
            time.sleep(delay / 1000.0)
        self.flush()
        if res == 0 and not m.get("SuppressEvents"):
            self.process_events()               # process_message(): deliver pending events after the answer
        return res

    def process_message(self, m):
        """process_message() in manager.c."""
        pbx = self.pbx
        action_name = m.get("Action", skip_empty=True)
        pbx._count("requests")
        if not action_name:
            self.send_error(m, "Missing action in request")
            return 0
        low = action_name.lower()
        if not self.authenticated and low not in ("login", "logoff", "challenge"):
            self.send_error(m, "Permission denied")
            return 0
        if not self.authenticated and low in ("login", "challenge"):
            username = m.get("Username")
            if username:
                user = pbx.users.get(username.lower())
                if user and not user.allowmultiplelogin and pbx._user_in_use(username, self):
                    time.sleep(1)
                    self.send_error(m, "Login Already In Use")
                    return -1
        entry = ACTIONS.get(low)
        if entry is None:
            self.send_error(m, "Invalid/unknown command: %s. Use Action: ListCommands to show available commands."
                            % action_name)
            return 0
        name, authority, fn, _ = entry
        if not ((self.writeperm & authority) or authority == 0):
            self.send_error(m, "Permission denied")
            return 0
        pbx._count_action(name)
        return fn(self, m)

    def kill(self):
        self.closed = True
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except (OSError, ValueError, TypeError):
            pass
        try:
            self.wake_w.send(b"k")
        except OSError:
            pass

    def close(self):
        self.closed = True
        for s in (self.sock, self.wake_r, self.wake_w):
            try:
                s.close()
            except OSError:
                pass


# --- action handlers -------------------------------------------------------------------------------------------------

@action("Ping", 0, "Keepalive command.")
def action_ping(s, m):
    """action_ping()."""
    aid = m.get("ActionID")
    now = time.time()
    out = "Response: Success\r\n"
    if aid:
        out += "ActionID: %s\r\n" % aid
    out += "Ping: Pong\r\nTimestamp: %d.%06d\r\n\r\n" % (int(now), int((now - int(now)) * 1000000))
    s.append(out)
    return 0


@action("Events", 0, "Control Event Flow.")
def action_events(s, m):
    """action_events() (brokeneventsaction = no)."""
    aid = m.get("ActionID")
    idtext = "ActionID: %s\r\n" % aid if aid else ""
    res = strings_to_mask(m.get("EventMask"))
    if res >= 0:
        s.send_events = res
    if res > 0:
        s.append("Response: Success\r\n%sEvents: On\r\n\r\n" % idtext)
    elif res == 0:
        s.append("Response: Success\r\n%sEvents: Off\r\n\r\n" % idtext)
    else:
        s.send_error(m, "Invalid event mask")
    return 0


@action("Logoff", 0, "Logoff Manager.")
def action_logoff(s, m):
    """action_logoff(): answer, then the session ends (01-login-and-basics)."""
    s.send_response_full(m, "Goodbye", "Thanks for all the fish.")
    return -1


def authenticate(s, m):
    """authenticate(): plain Secret or MD5 Key over the session's challenge."""
    pbx = s.pbx
    username = m.get("Username")
    if not username:
        return False
    user = pbx.users.get(username.lower())
    if user is None:
        return False
    if m.get("AuthType").lower() == "md5":
        key = m.get("Key")
        if key and s.challenge and user.secret is not None:
            if md5_key(s.challenge, user.secret) != key:
                return False
        else:
            return False
    elif user.secret is not None:
        if m.get("Secret") != user.secret:
            return False
    else:
        return False
    s.username = username
    s.readperm = user.readperm
    s.writeperm = user.writeperm
    mask = strings_to_mask(m.get("Events"))      # set_eventmask(): a negative mask leaves it unchanged
    if mask >= 0:
        s.send_events = mask
    return True


@action("Login", 0, "Login Manager.")
def action_login(s, m):
    """action_login(): failure sleeps 1 s, answers, closes (02-login-failure); success may add FullyBooted."""
    pbx = s.pbx
    if s.authenticated:
        s.send_ack(m, "Already authenticated")
        return 0
    if not authenticate(s, m):
        pbx._count("login_failures")
        s.flush()
        time.sleep(1)
        s.send_error(m, "Authentication failed")
        return -1
    s.authenticated = True
    pbx._authenticated(s)
    pbx._count("logins")
    s.send_ack(m, "Authentication accepted")
    if (s.send_events & EVENT_FLAG_SYSTEM) and (s.readperm & EVENT_FLAG_SYSTEM):
        now = time.time()
        s.append("Event: FullyBooted\r\nPrivilege: %s\r\nUptime: %d\r\nLastReload: %d\r\n"
                 "Status: Fully Booted\r\n\r\n" % (authority_to_str(EVENT_FLAG_SYSTEM), int(now - pbx.started),
                                                   int(now - pbx.reloaded)))
    return 0


@action("Challenge", 0, "Generate Challenge for MD5 Auth.")
def action_challenge(s, m):
    """action_challenge(): "%ld" of ast_random() in a char[10]: at most 9 digits (03-login-md5)."""
    if m.get("AuthType").lower() == "md5":
        if not s.challenge:
            s.challenge = str(random.randint(0, 2 ** 31 - 1))[:9]
        s.start_ack(m)
        s.append("Challenge: %s\r\n\r\n" % s.challenge)
    else:
        s.send_error(m, "Must specify AuthType")
    return 0


@action("ListCommands", 0, "List available manager commands.")
def action_listcommands(s, m):
    """action_listcommands() (DEVIATION: synopses are short, not Asterisk's XML docs)."""
    s.start_ack(m)
    for name, authority, _, synopsis in ACTIONS.values():
        if (s.writeperm & authority) or authority == 0:
            s.append("%s: %s (Priv: %s)\r\n" % (name, synopsis, authority_to_str(authority)))
    s.append("\r\n")
    return 0


@action("CoreSettings", EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING, "Show PBX core settings (version etc).")
def action_coresettings(s, m):
    """action_coresettings(): values as 01-login-and-basics shows."""
    s.start_ack(m)
    s.append("AMIversion: %s\r\nAsteriskVersion: %s\r\nSystemName: \r\nCoreMaxCalls: 0\r\n"
             "CoreMaxLoadAvg: 0.000000\r\nCoreRunUser: root\r\nCoreRunGroup: root\r\nCoreMaxFilehandles: 0\r\n"
             "CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: Yes\r\n"
             "SoundsSearchCustomDir: No\r\n\r\n" % (AMI_VERSION, ASTERISK_VERSION))
    return 0


@action("CoreStatus", EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING, "Show PBX core status variables.")
def action_corestatus(s, m):
    """action_corestatus(): start and last reload of this test PBX."""
    pbx = s.pbx
    st, rl = time.localtime(pbx.started), time.localtime(pbx.reloaded)
    s.start_ack(m)
    s.append("CoreStartupDate: %s\r\nCoreStartupTime: %s\r\nCoreReloadDate: %s\r\nCoreReloadTime: %s\r\n"
             "CoreCurrentCalls: 0\r\nCoreProcessedCalls: 0\r\n\r\n"
             % (time.strftime("%Y-%m-%d", st), time.strftime("%H:%M:%S", st), time.strftime("%Y-%m-%d", rl),
                time.strftime("%H:%M:%S", rl)))
    return 0


@action("Reload", EVENT_FLAG_CONFIG | EVENT_FLAG_SYSTEM, "Send a reload event.")
def action_reload(s, m):
    """action_reload(): recorded for the control channel, nothing else happens."""
    module = m.get("Module")
    s.pbx._record_reload(module or "all", "Reload")
    s.send_ack(m, "Module Reloaded")
    return 0


def is_restricted_file(pbx, filename):
    """is_restricted_file(): 0 ok, 1 outside the config dir ("escalated privileges"), -1 missing."""
    stripped = ast_strip(filename)
    path = stripped if stripped.startswith("/") else "%s/%s" % (pbx.confdir, stripped)
    if not os.path.exists(path):
        return -1
    real = os.path.realpath(path)
    if not real.startswith(pbx.confdir):          # ast_begins_with(): a plain prefix test
        return 1
    return 0


def config_path(pbx, fn):
    """make_fn(): a relative name lives in the config dir."""
    return fn if fn.startswith("/") else "%s/%s" % (pbx.confdir, fn)


def load_config(pbx, fn):
    """ast_config_load2(fn, "manager", WITHCOMMENTS|NOCACHE): Config, or "missing"/"invalid"."""
    try:
        with open(config_path(pbx, fn), "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except OSError:
        return "missing"
    try:
        return parse_config(text)
    except ConfigInvalid:
        return "invalid"


def _file_checks(s, m, fn, check_missing=True):
    """The common prologue of action_getconfig / action_listcategories."""
    if not fn:
        s.send_error(m, "Filename not specified")
        return False
    r = is_restricted_file(s.pbx, fn)
    if r == 1:
        s.send_error(m, "File requires escalated privileges")
        return False
    if r == -1 and check_missing:
        s.send_error(m, "Config file not found")
        return False
    return True


def _read_config(s, m, fn):
    """The parsed file, or None after answering the error Asterisk gives (GetConfig, ListCategories, ...:
    ast_config_load2() → CONFIG_STATUS_FILEMISSING / CONFIG_STATUS_FILEINVALID)."""
    if not _file_checks(s, m, fn):
        return None
    with s.pbx._file_lock(config_path(s.pbx, fn)):
        cfg = load_config(s.pbx, fn)
    if cfg == "missing":
        s.send_error(m, "Config file not found")
        return None
    if cfg == "invalid":
        s.send_error(m, "Config file has invalid format")
        return None
    return cfg


@action("GetConfig", EVENT_FLAG_SYSTEM | EVENT_FLAG_CONFIG, "Retrieve configuration.")
def action_getconfig(s, m):
    """action_getconfig(): Category-N, IsTemplate-N, Templates-N, Line-N-M (templates hidden without a filter,
    inherited variables listed in the child: 05-updateconfig)."""
    fn = m.get("Filename")
    category = m.get("Category")
    flt = m.get("Filter")
    cfg = _read_config(s, m, fn)
    if cfg is None:
        return 0
    s.start_ack(m)
    out = []
    catcount = 0
    for cat in cfg.cats:
        if not does_category_match(cat, category, flt):
            continue
        out.append("Category-%06d: %s\r\n" % (catcount, cat.name))
        if cat.ignored:
            out.append("IsTemplate-%06d: %d\r\n" % (catcount, 1))
        if cat.templates:
            out.append("Templates-%06d: %s\r\n" % (catcount, ",".join(t[0] for t in cat.templates)))
        for lineno, v in enumerate(cat.vars):
            out.append("Line-%06d-%06d: %s=%s\r\n" % (catcount, lineno, v.name, v.value))
        catcount += 1
    if category and catcount == 0:
        out.append("No categories found\r\n")
    out.append("\r\n")
    s.append("".join(out))
    return 0


def _json_escape(t):
    """json_escape(): only \\ and " are escaped (ami.md)."""
    return t.replace("\\", "\\\\").replace('"', '\\"')


@action("GetConfigJSON", EVENT_FLAG_SYSTEM | EVENT_FLAG_CONFIG, "Retrieve configuration (JSON format).")
def action_getconfigjson(s, m):
    """action_getconfigjson(): one "JSON:" line (05-updateconfig)."""
    fn = m.get("Filename")
    flt = m.get("Filter")
    category = m.get("Category")
    if not fn:
        s.send_error(m, "Filename not specified")
        return 0
    if is_restricted_file(s.pbx, fn):
        s.send_error(m, "File requires escalated privileges")
        return 0
    with s.pbx._file_lock(config_path(s.pbx, fn)):
        cfg = load_config(s.pbx, fn)
    if cfg == "missing":
        s.send_error(m, "Config file not found")
        return 0
    if cfg == "invalid":
        s.send_error(m, "Config file has invalid format")
        return 0
    s.start_ack(m)
    out = ["JSON: {"]
    comma1 = False
    for cat in cfg.cats:
        if not does_category_match(cat, category, flt):
            continue
        out.append('%s"%s":{' % ("," if comma1 else "", _json_escape(cat.name)))
        comma1 = True
        comma2 = False
        if cat.ignored:
            out.append('"istemplate":1')
            comma2 = True
        if cat.templates:
            out.append("," if comma2 else "")
            out.append('"templates":"%s"' % ",".join(t[0] for t in cat.templates))
            comma2 = True
        for v in cat.vars:
            out.append('%s"%s":"%s"' % ("," if comma2 else "", _json_escape(v.name), _json_escape(v.value)))
            comma2 = True
        out.append("}")
    out.append("}\r\n\r\n")
    s.append("".join(out))
    return 0


@action("ListCategories", EVENT_FLAG_CONFIG, "List categories in configuration file.")
def action_listcategories(s, m):
    """action_listcategories(): Match is a filter like GetConfig's."""
    fn = m.get("Filename")
    match = m.get("Match")
    cfg = _read_config(s, m, fn)
    if cfg is None:
        return 0
    s.start_ack(m)
    out = []
    n = 0
    for cat in cfg.cats:
        if does_category_match(cat, None, match):
            out.append("Category-%06d: %s\r\n" % (n, cat.name))
            n += 1
    if n == 0:
        out.append("Error: no categories found\r\n")
    out.append("\r\n")
    s.append("".join(out))
    return 0


@action("UpdateConfig", EVENT_FLAG_CONFIG, "Update basic configuration.")
def action_updateconfig(s, m):
    """action_updateconfig(): load SrcFilename, handle_updates(), all-or-nothing, rewrite DstFilename whole."""
    pbx = s.pbx
    sfn = m.get("SrcFilename")
    dfn = m.get("DstFilename")
    rld = m.get("Reload")
    pec = m.get("PreserveEffectiveContext")
    if not sfn or not dfn:
        s.send_error(m, "Filename not specified")
        return 0
    if is_restricted_file(pbx, sfn) or is_restricted_file(pbx, dfn):
        s.send_error(m, "File requires escalated privileges")   # also a DstFilename that does not exist (06 e8)
        return 0
    paths = sorted({config_path(pbx, sfn), config_path(pbx, dfn)})
    locks = [pbx._file_lock(p) for p in paths]       # our addition: one lock per file (Asterisk has none)
    for lk in locks:
        lk.acquire()
    try:
        cfg = load_config(pbx, sfn)
        if cfg == "missing":
            s.send_error(m, "Config file not found")
            return 0
        if cfg == "invalid":
            s.send_error(m, "Config file has invalid format")
            return 0
        result = handle_updates(cfg, m.get, dfn)
        if result is not None:
            s.send_error(m, UPDATE_ERRORS[result])   # nothing saved
            return 0
        preserve = not (pec and not ast_true(pec))
        fn = config_path(pbx, dfn)
        text = save_config(cfg, dfn, fn, "Manager", preserve)
        try:
            with open(fn, "wb") as f:                # fopen("w"): rewritten in place, like Asterisk
                f.write(text.encode("utf-8", "surrogateescape"))
        except OSError:
            s.send_error(m, "Save of config failed")
            return 0
    finally:
        for lk in reversed(locks):
            lk.release()
    s.send_ack(m, None)
    if rld:
        if ast_true(rld):
            pbx._record_reload("all", "UpdateConfig", dfn)
        elif not ast_false(rld):
            pbx._record_reload(rld, "UpdateConfig", dfn)
    return 0


@action("CreateConfig", EVENT_FLAG_CONFIG, "Creates an empty file in the configuration directory.")
def action_createconfig(s, m):
    """action_createconfig(): O_CREAT|O_EXCL in a directory inside the config dir; errors are strerror()."""
    pbx = s.pbx
    fn = m.get("Filename")
    if not fn:
        s.send_error(m, "Filename not specified")
        return 0
    stripped = ast_strip(fn)
    filepath = stripped if stripped.startswith("/") else "%s/%s" % (pbx.confdir, stripped)
    d, _, name = filepath.rpartition("/")
    real_dir = os.path.realpath(d or "/")
    if not os.path.isdir(real_dir):
        s.send_error(m, os.strerror(2))
        return 0
    if not real_dir.startswith(pbx.confdir):
        s.send_error(m, "File requires escalated privileges")
        return 0
    target = "%s/%s" % (real_dir, name)
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o664)
        os.close(fd)
        s.send_ack(m, "New configuration file created successfully")
    except OSError as e:
        s.send_error(m, os.strerror(e.errno))
    return 0


# --- Command: a few CLI commands (Asterisk >= 14 format, 09-command) ------------------------------------------------

CLI_COMMANDS = [
    "core show version", "core show channels", "core show uptime", "core show help", "pjsip show endpoints",
    "pjsip show contacts", "pjsip show endpoint", "pjsip show aors", "pjsip show auths", "dialplan reload",
    "dialplan show", "module reload", "core reload", "core restart now", "core stop now", "core ping",
    "core waitfullybooted", "sip show peers", "database show", "reload",
]
COMMAND_BLACKLIST = [("module", "load"), ("module", "unload"), ("restart", "gracefully")]   # command_blacklist[]


def check_blacklist(cmd):
    """check_blacklist() in manager.c."""
    words = [w for w in cmd.split(" ") if ast_strip(w)]
    words = [ast_strip(w) for w in words]
    for bl in COMMAND_BLACKLIST:
        if len(words) >= len(bl) and all(words[j].lower() == bl[j] for j in range(len(bl))):
            return True
    return False


def find_best(words):
    """find_best() in main/cli.c, approximated: keep words while some command continues them, plus the first
    one that does not (09-command: "no such command" -> "no such")."""
    known = [c.split() for c in CLI_COMMANDS]
    best = words[:1]
    for x in range(1, len(words)):
        best = words[:x + 1]
        if not any(len(k) == x + 1 and [w.lower() for w in words[:x]] == k[:x] for k in known):
            break
    return " ".join(best)


def _uptime_str(secs):
    """print_uptimestr() in main/asterisk.c."""
    secs = int(secs)
    parts = []
    for unit, size in (("year", 31536000), ("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size:
            x = secs // size
            secs -= x * size
            parts.append("%d %s%s" % (x, unit, "" if x == 1 else "s"))
    if secs > 0 or not parts:
        parts.append("%d second%s" % (secs, "" if secs == 1 else "s"))
    return ", ".join(parts)


def pjsip_objects(pbx):
    """Endpoints, aors and auths of pjsip.conf in the config dir (type= of non-template sections)."""
    with pbx._file_lock(config_path(pbx, "pjsip.conf")):
        cfg = load_config(pbx, "pjsip.conf")
    objs = {"endpoint": {}, "aor": {}, "auth": {}, "transport": {}}
    if isinstance(cfg, str):
        return objs
    for cat in cfg.cats:
        if cat.ignored:
            continue
        d = {}
        for v in cat.vars:
            d.setdefault(v.name.lower(), v.value)
        t = d.get("type", "")
        if t in objs:
            objs[t].setdefault(cat.name, d)
    return objs


def _contact_id(aor, uri):
    """res_pjsip location: contact id "aor;@md5(uri)" (10b-lists-registered)."""
    return "%s;@%s" % (aor, hashlib.md5(uri.encode()).hexdigest())


def _endpoint_contacts(pbx, name, ep):
    aor = (ep.get("aors") or name).split(",")[0].strip()
    return [(aor, c) for c in pbx.contacts.get(name, [])]


def _device_state(pbx, name, ep):
    st = pbx.device_states.get(name)
    if st:
        return st
    return "Not in use" if _endpoint_contacts(pbx, name, ep) else "Unavailable"


def cli_pjsip_show_endpoints(pbx):
    """cli_endpoint_print_body() & co (res_pjsip): header block, then one block per endpoint (09-command)."""
    objs = pjsip_objects(pbx)
    eps = objs["endpoint"]
    if not eps:
        return ["No objects found.", ""]
    out = ["",
           " Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>",
           "    I/OAuth:  <AuthId/UserName...........................................................>",
           "        Aor:  <Aor............................................>  <MaxContact>",
           "      Contact:  <Aor/ContactUri..........................> <Hash....> <Status> <RTT(ms)..>",
           "  Transport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress..................>",
           "   Identify:  <Identify/Endpoint.........................................................>",
           "        Match:  <criteria.........................>",
           "    Channel:  <ChannelId......................................>  <State.....>  <Time.....>",
           "        Exten: <DialedExten...........>  CLCID: <ConnectedLineCID.......>",
           "=" * 90]
    for name in sorted(eps):
        ep = eps[name]
        out.append("")
        out.append("%9s:  %-51.51s  %-12.12s  %d of %s" % ("Endpoint", name, _device_state(pbx, name, ep), 0, "inf"))
        for auth in [a.strip() for a in ep.get("auth", "").split(",") if a.strip()]:
            user = objs["auth"].get(auth, {}).get("username", "")
            out.append("%11s:  %s/%s" % ("InAuth", auth, user))
        for aor in [a.strip() for a in ep.get("aors", "").split(",") if a.strip()]:
            maxc = _scan_int(objs["aor"].get(aor, {}).get("max_contacts", "0")) or 0
            out.append("%11s:  %-39.39s %12d" % ("Aor", aor, maxc))
            for c in pbx.contacts.get(name, []):
                out.append("%13s:  %-42.42s %-10.10s %-7.7s %11s" % (
                    "Contact", "%s/%s" % (aor, c["uri"]), hashlib.md5(c["uri"].encode()).hexdigest()[:10],
                    "NonQual", "nan"))
    out += ["", "", "Objects found: %d" % len(eps), ""]
    return out


def cli_pjsip_show_contacts(pbx):
    """'pjsip show contacts' (DEVIATION: the layout with contacts is approximated, not transcript-verified)."""
    objs = pjsip_objects(pbx)
    rows = []
    for name in sorted(objs["endpoint"]):
        for aor, c in _endpoint_contacts(pbx, name, objs["endpoint"][name]):
            rows.append((aor, c))
    if not rows:
        return ["No objects found.", ""]                     # 09-command
    out = ["", "  Contact:  <Aor/ContactUri..........................> <Hash....> <Status> <RTT(ms)..>", "=" * 90,
           ""]
    for aor, c in rows:
        out.append("%9s:  %-42.42s %-10.10s %-7.7s %11s" % (
            "Contact", "%s/%s" % (aor, c["uri"]), hashlib.md5(c["uri"].encode()).hexdigest()[:10], "NonQual",
            "nan"))
    out += ["", "Objects found: %d" % len(rows), ""]
    return out


@action("Command", EVENT_FLAG_COMMAND, "Execute Asterisk CLI Command.")
def action_command(s, m):
    """action_command(): Response Success/Error, "Message: Command output follows", one Output: per line."""
    pbx = s.pbx
    cmd = m.get("Command")
    if not cmd:
        s.send_error(m, "No command provided")
        return 0
    if check_blacklist(cmd):
        s.send_error(m, "Command blacklisted")
        return 0
    words = cmd.split()
    key = " ".join(w.lower() for w in words)
    ok = True
    if key in pbx.command_outputs:                   # control: set_command
        lines = list(pbx.command_outputs[key])
    elif key == "core show version":
        lines = ["Asterisk %s built by root @ vm on a x86_64 running Linux on 2026-11-27 16:06:10 UTC"
                 % ASTERISK_VERSION]
    elif key == "core show channels":
        lines = ["Channel                                                          Location                         "
                 "State   Application(Data)             ", "0 active channels", "0 active calls", "0 calls processed"]
    elif key == "core show uptime":
        now = time.time()
        lines = ["System uptime: %s" % _uptime_str(now - pbx.started),
                 "Last reload: %s" % _uptime_str(now - pbx.reloaded)]
    elif key == "pjsip show endpoints":
        lines = cli_pjsip_show_endpoints(pbx)
    elif key == "pjsip show contacts":
        lines = cli_pjsip_show_contacts(pbx)
    elif key == "dialplan reload":
        pbx._record_reload("pbx_config.so", "Command")
        lines = ["Dialplan reloaded."]
    else:
        ok = False
        lines = ["No such command '%s' (type 'core show help %s' for other possible commands)"
                 % (cmd, find_best(words))]
    s.send_response_full(m, "Success" if ok else "Error", None, moredata=True)
    s.append("Message: Command output follows\r\n")
    s.append("".join("Output: %s\r\n" % l for l in lines))
    s.append("\r\n")
    return 0


# --- list actions (10-lists, 10b-lists-registered) ------------------------------------------------------------------

@action("PJSIPShowEndpoints", EVENT_FLAG_SYSTEM, "Lists PJSIP endpoints.")
def action_pjsip_show_endpoints(s, m):
    """ami_show_endpoints() in res_pjsip: EndpointList per endpoint of pjsip.conf, sorted by name."""
    pbx = s.pbx
    objs = pjsip_objects(pbx)
    eps = objs["endpoint"]
    if not eps:
        s.send_error(m, "No endpoints found\n")
        return 0
    s.send_listack(m, "A listing of Endpoints follows, presented as EndpointList events", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    for name in sorted(eps):
        ep = eps[name]
        contacts = "".join("%s/%s," % (aor, c["uri"]) for aor, c in _endpoint_contacts(pbx, name, ep))
        s.append("Event: EndpointList\r\n%sObjectType: endpoint\r\nObjectName: %s\r\nTransport: %s\r\nAor: %s\r\n"
                 "Auths: %s\r\nOutboundAuths: %s\r\nContacts: %s\r\nDeviceState: %s\r\nActiveChannels: %s\r\n\r\n"
                 % (idt, name, ep.get("transport", ""), ep.get("aors", ""), ep.get("auth", ""),
                    ep.get("outbound_auth", ""), contacts, _device_state(pbx, name, ep), "0"))
    s.list_complete(m, "EndpointListComplete", len(eps))
    return 0


@action("PJSIPShowContacts", EVENT_FLAG_SYSTEM, "Lists PJSIP Contacts.")
def action_pjsip_show_contacts(s, m):
    """ami_show_contacts(): with none, an Error whose Message ends in a stray LF (10-lists: "...found\\n\\r\\n")."""
    pbx = s.pbx
    objs = pjsip_objects(pbx)
    rows = []
    for name in sorted(objs["endpoint"]):
        for aor, c in _endpoint_contacts(pbx, name, objs["endpoint"][name]):
            rows.append((name, aor, c))
    rows.sort(key=lambda r: _contact_id(r[1], r[2]["uri"]))
    if not rows:
        s.send_error(m, "No Contacts found\n")
        return 0
    s.send_listack(m, "A listing of Contacts follows, presented as ContactList events", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    for name, aor, c in rows:
        uri = c["uri"]
        hostport = re.sub(r"^sips?:([^@]*@)?", "", uri).split(";")[0]
        host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "5060")
        s.append("Event: ContactList\r\n%sObjectType: contact\r\nObjectName: %s\r\nViaAddr: %s\r\n"
                 "QualifyTimeout: 3.000000\r\nQualify2xxOnly: false\r\nCallId: %s\r\nRegServer: \r\n"
                 "PruneOnBoot: no\r\nPath: \r\nEndpoint: %s\r\nViaPort: %s\r\nAuthenticateQualify: no\r\n"
                 "Uri: %s\r\nQualifyFrequency: 0\r\nUserAgent: %s\r\nExpirationTime: %s\r\nOutboundProxy: \r\n"
                 "Status: %s\r\nRoundtripUsec: N/A\r\n\r\n"
                 % (idt, _contact_id(aor, uri), c.get("via_addr", host), c.get("call_id", "1-1@" + host), name,
                    c.get("via_port", port), uri, c.get("user_agent", "SIPp"),
                    c.get("expiration_time", int(time.time()) + 3600), c.get("status", "NonQualified")))
    s.list_complete(m, "ContactListComplete", len(rows))
    return 0


@action("PJSIPShowRegistrationsOutbound", EVENT_FLAG_SYSTEM, "Lists PJSIP outbound registrations.")
def action_pjsip_show_registrations_outbound(s, m):
    """Always none here (10-lists)."""
    s.send_listack(m, "Following are Events for each Outbound registration", "start")
    s.list_complete(m, "OutboundRegistrationDetailComplete", 0, "Registered: 0\r\nNotRegistered: 0\r\n")
    return 0


@action("DeviceStateList", EVENT_FLAG_CALL | EVENT_FLAG_REPORTING, "List the current known device states.")
def action_devicestatelist(s, m):
    """DeviceStateChange per registered endpoint (order: reverse name order, which is what 10b shows)."""
    pbx = s.pbx
    objs = pjsip_objects(pbx)
    names = [n for n in sorted(objs["endpoint"], reverse=True)
             if pbx.contacts.get(n) or pbx.device_states.get(n)]
    s.send_listack(m, "Device State Changes will follow", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    for n in names:
        st = _device_state(pbx, n, objs["endpoint"][n]).upper().replace(" ", "_")
        st = {"NOT_IN_USE": "NOT_INUSE", "IN_USE": "INUSE"}.get(st, st)
        s.append("Event: DeviceStateChange\r\n%sDevice: PJSIP/%s\r\nState: %s\r\n\r\n" % (idt, n, st))
    s.list_complete(m, "DeviceStateListComplete", len(names))
    return 0


@action("CoreShowChannels", EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING, "List currently active channels.")
def action_coreshowchannels(s, m):
    """action_coreshowchannels(): no channels in the test PBX."""
    s.send_listack(m, "Channels will follow", "start")
    s.list_complete(m, "CoreShowChannelsComplete", 0)
    return 0


@action("ExtensionStateList", EVENT_FLAG_CALL | EVENT_FLAG_REPORTING, "List the current known extension states.")
def action_extensionstatelist(s, m):
    """No hints in the test PBX (10-lists)."""
    s.send_listack(m, "Extension Statuses will follow", "start")
    s.list_complete(m, "ExtensionStateListComplete", 0)
    return 0


# --- the server ------------------------------------------------------------------------------------------------------

class _Listener:
    """A listening socket with its accept thread; can be closed and reopened on the same port."""

    def __init__(self, host, port, on_accept):
        self.host = host
        self.port = port
        self.on_accept = on_accept
        self.sock = None
        self.thread = None

    def open(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        self.port = s.getsockname()[1]
        self.sock = s
        self.thread = threading.Thread(target=self._loop, args=(s,), daemon=True)
        self.thread.start()

    def _loop(self, s):
        while True:
            try:
                c, addr = s.accept()
            except OSError:
                return
            if self.sock is not s:
                c.close()
                return
            self.on_accept(c, addr)

    def close(self):
        s, self.sock = self.sock, None
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
            if self.thread is not None:
                self.thread.join(2)


class TestPBX:
    """The test PBX.  TestPBX(confdir, users=path|text|dict, port=0, tls_port=None, cert=None, key=None,
    control_port=0, host="127.0.0.1").  start() binds (port 0 = a free port; the chosen ports are then kept for
    stop_listening/start_listening), stop() ends everything.  control(dict) runs a control command in-process."""

    __test__ = False                     # not a pytest test class

    def __init__(self, confdir, users=None, port=0, tls_port=None, cert=None, key=None, control_port=0,
                 host="127.0.0.1", timestampevents=None):
        self.confdir = os.path.realpath(confdir)
        self.host = host
        self.general, self.users = self._load_users(users)
        if timestampevents is not None:
            self.general["timestampevents"] = "yes" if timestampevents else "no"
        self.timestampevents = ast_true(self.general.get("timestampevents", "yes"))
        self.authtimeout = max(1, _scan_int(self.general.get("authtimeout", "30")) or 30)
        self.authlimit = max(1, _scan_int(self.general.get("authlimit", "50")) or 50)
        self.tls_ctx = None
        if tls_port is not None:
            if not cert or not key:
                raise ValueError("TLS needs cert and key")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.tls_ctx = ctx
        self.listener = _Listener(host, port, lambda c, a: self._accept(c, a, None))
        self.tls_listener = _Listener(host, tls_port, lambda c, a: self._accept(c, a, self.tls_ctx)) \
            if tls_port is not None else None
        self.control_listener = _Listener("127.0.0.1", control_port, self._accept_control) \
            if control_port is not None else None
        self.lock = threading.RLock()
        self.sessions = set()
        self.unauth = 0
        self.file_locks = {}
        self.contacts = {}
        self.device_states = {}
        self.command_outputs = {}
        self.refuse = False
        self.drop = None                 # {"n": int, "mode": "before"|"after", "action": name|None, "all": bool}
        self.delay_ms = 0
        self.delay_action = None
        self.started = time.time()
        self.reloaded = self.started
        self._reset_counters()
        self.listening = False

    # -- users
    @staticmethod
    def _load_users(users):
        if users is None:
            users = {"admin": {"secret": "admin-secret-123", "read": "all", "write": "all"}}
        if isinstance(users, dict):
            return load_users(users_text(users))
        if "\n" not in users:                      # a path (text always has a newline)
            with open(users, encoding="utf-8") as f:
                return load_users(f.read())
        return load_users(users)

    # -- life cycle
    @property
    def port(self):
        return self.listener.port

    @property
    def tls_port(self):
        return self.tls_listener.port if self.tls_listener else None

    @property
    def control_port(self):
        return self.control_listener.port if self.control_listener else None

    def start(self):
        if self.control_listener is not None:
            self.control_listener.open()
        self.start_listening()
        return self

    def start_listening(self):
        with self.lock:
            if self.listening:
                return
            self.listener.open()
            if self.tls_listener is not None:
                self.tls_listener.open()
            self.listening = True

    def stop_listening(self, kill=False):
        with self.lock:
            self.listening = False
        self.listener.close()
        if self.tls_listener is not None:
            self.tls_listener.close()
        if kill:
            return self.kill_sessions()
        return 0

    def stop(self):
        self.stop_listening(kill=True)
        if self.control_listener is not None:
            self.control_listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- sessions
    def _accept(self, conn, addr, tls_ctx):
        with self.lock:
            refuse = self.refuse or not self.listening
            if not refuse and self.unauth >= self.authlimit:    # session_do(): authlimit
                refuse = True
            if not refuse:
                self.unauth += 1
            self.counters["connections"] += 1
        if refuse:
            try:
                conn.close()
            except OSError:
                pass
            return
        sess = Session(self, conn, addr, tls_ctx)
        with self.lock:
            self.sessions.add(sess)
        threading.Thread(target=sess.run, daemon=True).start()

    def _authenticated(self, sess):
        with self.lock:
            if sess.counted_unauth:
                self.unauth -= 1
                sess.counted_unauth = False

    def _session_gone(self, sess):
        with self.lock:
            self.sessions.discard(sess)
            if sess.counted_unauth:
                self.unauth -= 1
                sess.counted_unauth = False

    def _user_in_use(self, username, me):
        with self.lock:
            return any(s is not me and s.authenticated and s.username.lower() == username.lower()
                       for s in self.sessions)

    def kill_sessions(self):
        with self.lock:
            sessions = list(self.sessions)
        for s in sessions:
            s.kill()
        return len(sessions)

    def _file_lock(self, path):
        path = os.path.normpath(path)
        with self.lock:
            lk = self.file_locks.get(path)
            if lk is None:
                lk = self.file_locks[path] = threading.Lock()
            return lk

    # -- faults, counters
    def _fault_for(self, action_name):
        with self.lock:
            d = self.drop
            if d is None:
                return None, False
            if d.get("action") and d["action"].lower() != (action_name or "").lower():
                return None, False
            if d["n"] > 0:
                d["n"] -= 1
                return None, False
            self.drop = None
            return d.get("mode", "before"), d.get("all", False)

    def _delay_for(self, action_name):
        with self.lock:
            if self.delay_ms and (not self.delay_action or self.delay_action.lower() == (action_name or "").lower()):
                return self.delay_ms
        return 0

    def _reset_counters(self):
        self.counters = {"actions": collections.Counter(), "logins": 0, "login_failures": 0, "requests": 0,
                         "connections": 0, "reloads": []}

    def _count(self, key):
        with self.lock:
            self.counters[key] += 1

    def _count_action(self, name):
        with self.lock:
            self.counters["actions"][name] += 1

    def _record_reload(self, module, via, filename=None):
        with self.lock:
            self.counters["reloads"].append({"module": module, "via": via, "file": filename})
            self.reloaded = time.time()

    # -- events
    def emit(self, name, fields=None, klass=None):
        """Queue an event to every session; each session delivers it if its read class and event mask allow."""
        category, text = build_event(name, fields or {}, self.timestampevents, klass)
        with self.lock:
            sessions = list(self.sessions)
        n = 0
        for s in sessions:
            if s.authenticated and (s.readperm & category) == category and (s.send_events & category) == category:
                n += 1
            s.queue_event(category, text)
        return n

    def emit_raw(self, data):
        with self.lock:
            sessions = [s for s in self.sessions if s.authenticated]
        for s in sessions:
            s.queue_event(None, data)
        return len(sessions)

    # -- the control channel
    def _accept_control(self, conn, addr):
        threading.Thread(target=self._control_conn, args=(conn,), daemon=True).start()

    def _control_conn(self, conn):
        f = conn.makefile("rwb")
        try:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    req = json.loads(line.decode("utf-8"))
                    reply = self.control(req)
                except Exception as e:      # noqa: BLE001 - report every failure to the test
                    reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
                f.write((json.dumps(reply) + "\n").encode())
                f.flush()
        except OSError:
            pass
        finally:
            try:
                f.close()
                conn.close()
            except OSError:
                pass

    def control(self, req):
        """Run one control command (a dict with "cmd"); returns the reply dict.  See README.md."""
        cmd = req.get("cmd")
        if cmd == "ping":
            return {"ok": True}
        if cmd == "event":
            n = self.emit(req["event"], req.get("fields"), req.get("class"))
            return {"ok": True, "delivered": n}
        if cmd == "events":
            n = 0
            for ev in req["events"]:
                n += self.emit(ev["event"], ev.get("fields"), ev.get("class"))
            return {"ok": True, "delivered": n}
        if cmd == "emit_call":
            params = {k: req[k] for k in ("caller", "callee", "context", "answered", "duration", "billsec",
                                          "disposition", "start", "uniqueid", "hangup_by") if k in req}
            evs = call_events(**params)
            for name, fields in evs:
                self.emit(name, fields)
            return {"ok": True, "events": len(evs)}
        if cmd == "raw":
            return {"ok": True, "sessions": self.emit_raw(req["data"])}
        if cmd == "drop_after":
            mode = req.get("mode", "before")
            if mode not in ("before", "after"):
                raise ValueError("mode must be before or after")
            with self.lock:
                self.drop = {"n": int(req.get("n", 0)), "mode": mode, "action": req.get("action"),
                             "all": bool(req.get("all", False))}
            return {"ok": True}
        if cmd == "cancel_drop":
            with self.lock:
                self.drop = None
            return {"ok": True}
        if cmd == "delay":
            with self.lock:
                self.delay_ms = int(req.get("ms", 0))
                self.delay_action = req.get("action")
            return {"ok": True}
        if cmd == "refuse":
            with self.lock:
                self.refuse = bool(req.get("on", True))
            return {"ok": True}
        if cmd == "stop_listening":
            n = self.stop_listening(kill=bool(req.get("kill", False)))
            return {"ok": True, "killed": n}
        if cmd == "start_listening":
            self.start_listening()
            return {"ok": True, "port": self.port, "tls_port": self.tls_port}
        if cmd == "kill_sessions":
            return {"ok": True, "killed": self.kill_sessions()}
        if cmd == "set_contacts":
            contacts = []
            for c in req.get("contacts", []):
                contacts.append({"uri": c} if isinstance(c, str) else dict(c))
            with self.lock:
                before = {c["uri"] for c in self.contacts.get(req["endpoint"], [])}
                if contacts:
                    self.contacts[req["endpoint"]] = contacts
                else:
                    self.contacts.pop(req["endpoint"], None)
                after = {c["uri"] for c in contacts}
                if "state" in req:
                    if req["state"]:
                        self.device_states[req["endpoint"]] = req["state"]
                    else:
                        self.device_states.pop(req["endpoint"], None)
            # res_pjsip's registrar publishes a ContactStatus event (class system) when a contact is added
            # (Created) or goes away (Removed): ast_sip_persistent_endpoint_publish_contact_state /
            # contact_status publishing in res_pjsip/pjsip_options.c.
            for uri in sorted(after - before):
                self.emit("ContactStatus", {"URI": uri, "ContactStatus": "Created", "AOR": req["endpoint"],
                                            "EndpointName": req["endpoint"]}, "system")
            for uri in sorted(before - after):
                self.emit("ContactStatus", {"URI": uri, "ContactStatus": "Removed", "AOR": req["endpoint"],
                                            "EndpointName": req["endpoint"]}, "system")
            return {"ok": True}
        if cmd == "set_command":
            with self.lock:
                key = " ".join(req["command"].lower().split())
                if req.get("output") is None:
                    self.command_outputs.pop(key, None)
                else:
                    self.command_outputs[key] = list(req["output"])
            return {"ok": True}
        if cmd == "counters":
            with self.lock:
                c = self.counters
                return {"ok": True, "actions": dict(c["actions"]), "logins": c["logins"],
                        "login_failures": c["login_failures"], "requests": c["requests"],
                        "connections": c["connections"], "reloads": list(c["reloads"]),
                        "sessions": len(self.sessions),
                        "authenticated_sessions": sum(1 for s in self.sessions if s.authenticated)}
        if cmd == "reset_counters":
            with self.lock:
                self._reset_counters()
            return {"ok": True}
        if cmd == "reset":
            with self.lock:
                self._reset_counters()
                self.drop = None
                self.delay_ms = 0
                self.delay_action = None
                self.refuse = False
                self.contacts.clear()
                self.device_states.clear()
                self.command_outputs.clear()
            return {"ok": True}
        return {"ok": False, "error": "unknown cmd %r" % cmd}


class Control:
    """A tiny client of the control channel: Control(port).call("counters") -> dict; raises on ok=false."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.f = self.sock.makefile("rwb")

    def call(self, cmd, **kw):
        req = dict(kw)
        req["cmd"] = cmd
        self.f.write((json.dumps(req) + "\n").encode())
        self.f.flush()
        line = self.f.readline()
        if not line:
            raise ConnectionError("control channel closed")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error", "control command failed"))
        return reply

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda **kw: self.call(name, **kw)

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def main(argv=None):
    ap = argparse.ArgumentParser(description="Test PBX speaking Asterisk 22's AMI (tests only).")
    ap.add_argument("--dir", required=True, help="configuration directory (like /etc/asterisk)")
    ap.add_argument("--users", required=True, help="manager.conf-like users file")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="AMI TCP port (0 = any free port)")
    ap.add_argument("--tls-port", type=int, default=None, help="AMI TLS port (0 = any free port)")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--control-port", type=int, default=0, help="control channel port on 127.0.0.1")
    a = ap.parse_args(argv)
    if a.tls_port is not None and not (a.cert and a.key):
        ap.error("--tls-port needs --cert and --key")
    pbx = TestPBX(a.dir, users=a.users, port=a.port, tls_port=a.tls_port, cert=a.cert, key=a.key,
                  control_port=a.control_port, host=a.host)
    done = threading.Event()

    def on_term(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    pbx.start()
    sys.stdout.write("READY port=%d tls_port=%d control_port=%d\n"
                     % (pbx.port, pbx.tls_port or 0, pbx.control_port or 0))
    sys.stdout.flush()
    while not done.wait(0.5):
        pass
    pbx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
