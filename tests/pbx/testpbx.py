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
import glob
import hashlib
import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import stat
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


def _ascii_lower(s):
    """strcasecmp()/strncasecmp() fold ASCII letters only (C locale)."""
    return s.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


def ast_strip(s):
    """ast_strip(): drop leading and trailing chars < 33."""
    return s.strip(BLANKS)


def ast_true(s):
    """ast_true() in main/utils.c: strcasecmp() against the list, NO trimming ("yes " is not true)."""
    return s is not None and _ascii_lower(s) in ("yes", "true", "y", "t", "1", "on")


def ast_false(s):
    """ast_false() in main/utils.c: strcasecmp() against the list, NO trimming ("no " is not false)."""
    return s is not None and _ascii_lower(s) in ("no", "false", "n", "f", "0", "off")


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
        v = min(int(string), 2 ** 63 - 1)         # atoi() = (int) strtol(): clamped to LONG_MAX, then cut to int
        return ((v + 2 ** 31) % 2 ** 32) - 2 ** 31
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
                if len(stack) + 1 >= 8:       # char stack[8]: "if (++inquote >= sizeof(stack)) return NULL;"
                    return None, None
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


class AsteriskWouldCrash(Exception):
    """A request that makes the real Asterisk dereference NULL (it dies: every AMI connection drops)."""


CAT_NAME_SIZE = 80               # struct ast_category { char name[80]; }: ast_copy_string() keeps 79 bytes
CONFIG_BUF_SIZE = 8192           # config_text_file_load(): char buf[8192]; fgets() reads at most 8191 bytes
MAX_NESTED_COMMENTS = 128        # config.c
UTF8_BOM = b"\xef\xbb\xbf"


def c_snprintf(size, text):
    """snprintf()/ast_copy_string() into a fixed char[size]: at most size - 1 BYTES survive, so a long value also
    loses the end of the format (e.g. the "\\r\\n" of "ActionID: %s\\r\\n" in an idText[150])."""
    b = text.encode("utf-8", "surrogateescape")
    if len(b) <= size - 1:
        return text
    return b[:size - 1].decode("utf-8", "surrogateescape")


def category_name(name):
    """ast_copy_string(category->name, name, sizeof(category->name)) in new_category()/ast_category_rename()."""
    return c_snprintf(CAT_NAME_SIZE, name)


class Var:
    __slots__ = ("name", "value", "lineno", "object", "inherited", "precomments", "sameline", "trailing", "file")

    def __init__(self, name, value, lineno=0, obj=False, file=""):
        self.name = name
        self.value = value
        self.lineno = lineno        # ast_variable_new(): 0 for variables made by UpdateConfig
        self.object = obj           # "=>" instead of "="
        self.file = file            # "" = the file itself; an #include-d file's path; the DstFilename for new ones
        self.inherited = False
        self.precomments = ""
        self.sameline = ""
        self.trailing = ""


class Category:
    __slots__ = ("name", "lineno", "ignored", "templates", "vars", "last", "precomments", "sameline", "trailing",
                 "file")

    def __init__(self, name, lineno=-1, template=False, file=""):
        self.name = category_name(name)
        self.lineno = lineno        # handle_updates: ast_category_new(cat, dfn, -1)
        self.file = file            # as Var.file
        self.ignored = template     # a template ("(!)") is an "ignored" category in config.c
        self.templates = []         # [(name, Category)]: ast_category_template_instance list
        self.vars = []              # the list from category->root
        self.last = None            # category->last (ast_variable_insert() does not keep it up to date)
        self.precomments = ""
        self.sameline = ""
        self.trailing = ""

    def inherit(self, base):
        """ast_category_inherit(): remember the template, append a variable_clone() (name, value, lineno, object;
        no comments) of each of its variables, marked inherited."""
        self.templates.append((base.name, base))
        for v in list(base.vars):
            c = Var(v.name, v.value, v.lineno, v.object, v.file)
            c.inherited = True
            variable_append(self, [c])


class Config:
    def __init__(self):
        self.cats = []
        self.includes = []          # Include objects (ast_config_include list)
        self.current = None         # config->current: where an #include-d file's first lines go
        self.include_level = 0


class Include:
    """struct ast_config_include (#include / #tryinclude; #exec needs execincludes, off by default)."""

    def __init__(self, location_file, location_lineno, included_file, kind):
        self.location_file = location_file         # "" = the top file
        self.location_lineno = location_lineno
        self.included_file = included_file          # as written (or "name~~N" for a second inclusion)
        self.kind = kind                            # "include" | "tryinclude"
        self.included_files = []                    # paths the save truncates and re-heads
        self.output = False
        self.precomments = ""
        self.sameline = ""
        self.trailing = ""


def _index(lst, obj):
    for i, x in enumerate(lst):
        if x is obj:
            return i
    raise ValueError("not in list")


def variable_append(cat, chain):
    """ast_variable_append(): category->last->next = variable, so whatever followed `last` is dropped (a variable
    an Insert put after the last one), or category->root = variable when last is NULL (an Insert into an empty
    category left root set and last NULL: that variable is dropped); then last walks to the end of the chain."""
    chain = list(chain)
    if not chain:
        return
    if cat.last is None:
        cat.vars = chain
    else:
        cat.vars = cat.vars[:_index(cat.vars, cat.last) + 1] + chain
    cat.last = cat.vars[-1]


_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "xdigit": "0-9A-Fa-f",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e",
}
_GNU_ESCAPES = {"w": "\\w", "W": "\\W", "s": "\\s", "S": "\\S", "b": "\\b", "B": "\\B",
                "<": "\\b(?=\\w)", ">": "\\b(?<=\\w)", "`": "\\A", "'": "\\Z"}


def posix_regex(pattern):
    """regcomp(REG_EXTENDED | REG_NOSUB) (glibc) + regexec(): an unanchored search, translated to Python's re.
    Bracket expressions take backslashes literally and know [:class:]; outside them glibc's \\w \\s \\b \\< \\>
    (and back-references) keep their meaning and any other escaped char is itself ("\\d" is "d"); "(?" does not
    compile.  DEVIATION: finer differences (leftmost-longest alternation, intervals) are not modelled."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1:i + 2]
            if not nxt:
                raise re.error("trailing backslash")
            if nxt in _GNU_ESCAPES:
                out.append(_GNU_ESCAPES[nxt])
            elif nxt.isdigit() and nxt != "0":
                out.append("\\" + nxt)
            else:
                out.append(re.escape(nxt))
            i += 2
        elif ch == "[":
            j = i + 1
            body = "["
            if pattern[j:j + 1] == "^":
                body += "^"
                j += 1
            if pattern[j:j + 1] == "]":
                body += "\\]"
                j += 1
            while j < n and pattern[j] != "]":
                if pattern[j:j + 2] == "[:":
                    e = pattern.find(":]", j + 2)
                    if e < 0 or pattern[j + 2:e] not in _POSIX_CLASSES:
                        raise re.error("bad class")
                    body += _POSIX_CLASSES[pattern[j + 2:e]]
                    j = e + 2
                    continue
                body += "\\" + pattern[j] if pattern[j] in "\\[&~|" else pattern[j]
                j += 1
            if j >= n:
                raise re.error("unterminated [")
            out.append(body + "]")
            i = j + 1
        elif ch == "(" and pattern[i + 1:i + 2] == "?":
            raise re.error("(? is not ERE")
        else:
            out.append(ch)
            i += 1
    return re.compile("".join(out))


def does_category_match(cat, name, match, sep=","):
    """does_category_match() in config.c: name (strcasecmp) + filter expressions name_regex=value_regex."""
    if name and _ascii_lower(cat.name) != _ascii_lower(name):
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
            if _ascii_lower(match_value) == "include":
                if cat.ignored:
                    template_ok = True
                match_found += 1
            elif _ascii_lower(match_value) == "restrict":
                if cat.ignored:
                    match_found += 1
                    template_ok = True
                else:
                    break
            continue
        try:
            r_name = posix_regex(match_name)
            r_value = posix_regex(match_value)
        except re.error:
            return False                 # "Regular expression '%s' failed to compile"
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


def _fgets(data):
    """What successive fgets(buf, 8192, f) calls return: up to and including a LF, at most 8191 bytes."""
    i, n = 0, len(data)
    while i < n:
        j = data.find(b"\n", i, i + CONFIG_BUF_SIZE - 1)
        end = j + 1 if j >= 0 else min(n, i + CONFIG_BUF_SIZE - 1)
        yield data[i:end]
        i = end


def _cstr(buf, i):
    """The C string that starts at buf[i] (up to the first NUL)."""
    j = buf.find("\0", i)
    return buf[i:] if j < 0 else buf[i:j]


def _signed_char_below_33(ch):
    """`cur[0] < 33` on a (signed) char: bytes >= 128 are negative."""
    return ord(ch) < 33 or ord(ch) >= 128


MAX_INCLUDE_LEVEL = 10          # ast_config_new(): max_include_level


def _brace_expand(pattern):
    """GLOB_BRACE: "a{b,c}d" -> ["abd", "acd"] (first, non-nested group at a time)."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m or "," not in m.group(1):
        return [pattern]
    out = []
    for alt in m.group(1).split(","):
        out += _brace_expand(pattern[:m.start()] + alt + pattern[m.end():])
    return out


def c_glob(fn):
    """glob(fn, GLOB_NOMAGIC | GLOB_BRACE): a name without * ? [ comes back as is (even if it does not exist);
    otherwise the sorted matches."""
    out = []
    for pat in _brace_expand(fn):
        if not re.search(r"[*?\[]", pat):
            out.append(pat)
        else:
            out += sorted(glob.glob(pat))
    return out


def config_internal_load(cfg, filename, confdir, suggested=""):
    """ast_config_internal_load() + config_text_file_load(): loads filename (a glob pattern, relative to the
    config dir) into cfg.  Returns cfg, None (no file: CONFIG_STATUS_FILEMISSING) or "invalid"."""
    if cfg.include_level == MAX_INCLUDE_LEVEL + 1:
        return None                                 # "Maximum Include level (%d) exceeded"
    cfg.include_level += 1
    res = _ConfigParser(cfg, confdir, suggested).load(filename)
    if res != "invalid":
        cfg.include_level -= 1                      # (not after an invalid file: Asterisk leaves it raised)
    return res


class _ConfigParser:
    """config_text_file_load() + process_text_line() with CONFIG_FLAG_WITHCOMMENTS.

    Keeps line numbers and comments the way config.c does: they drive where the writer puts blank lines.
    #include / #tryinclude load the other file into the same configuration, its objects remembering their file."""

    def __init__(self, cfg, confdir, suggested=""):
        self.cfg = cfg
        self.confdir = confdir
        self.suggested = suggested                  # suggested_include_file
        self.cat = cfg.current                      # ast_config_get_current_category(cfg)
        self.configfile = ""
        self.comment_buffer = ""
        self.lline = ""
        self.last_cat = None
        self.last_var = None
        self.last_inc = None

    def obj_file(self):
        """S_OR(suggested_include_file, cfg->include_level == 1 ? "" : configfile)."""
        return self.suggested or ("" if self.cfg.include_level == 1 else self.configfile)

    def load(self, filename):
        if filename.startswith("/"):
            fn = c_snprintf(256, filename)          # char fn[256]
        else:
            fn = c_snprintf(256, "%s/%s" % (self.confdir, filename))
        count = 0
        self.comment = 0                            # nesting depth of ;-- --; comments (may even go negative)
        self.lineno = 0                             # (not reset between the files of one glob)
        for path in c_glob(fn):
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue                        # "'%s' is not a regular file, ignoring"
                with open(path, "rb") as f:
                    data = f.read()
            except (OSError, ValueError):
                continue
            count += 1
            self.configfile = path
            try:
                self.parse(data)
            except ConfigInvalid:
                return "invalid"
            self.comment_buffer = ""
            self.lline = ""
        if count == 0:
            return None
        return self.cfg

    def parse(self, data):
        lines = _fgets(data)
        for raw in lines:
            self.lineno += 1
            lineno = self.lineno
            buf = raw.split(b"\0", 1)[0]            # strlen(): a NUL ends the line for every later step
            if len(buf) == CONFIG_BUF_SIZE - 1 and buf[-1:] != b"\n":
                # "Line %d too long, skipping": the rest of that line goes too
                for more in lines:
                    more = more.split(b"\0", 1)[0]
                    if len(more) != CONFIG_BUF_SIZE - 1 or more[-1:] == b"\n":
                        break
                continue
            if lineno == 1 and buf.startswith(UTF8_BOM):
                buf = buf[len(UTF8_BOM):]           # "If there is a UTF-8 BOM, skip over it"
            buf = buf.decode("utf-8", "surrogateescape")
            if self.lline:                          # add the current lline buffer to the comment buffer
                self.comment_buffer += self.lline
                self.lline = ""
            new = 0                                 # new_buf
            process = None if self.comment else 0   # process_buf (None: NULL)
            if not buf.strip(" \t\n\r"):            # strlen(buf) == strspn(buf, " \t\n\r")
                self.comment_buffer += "\n"         # "keep blank lines as comments"
                continue
            while True:
                end = buf.find("\0", new)
                p = buf.find(";", new, len(buf) if end < 0 else end)      # strchr(new_buf, COMMENT_META)
                if p < 0:
                    break
                if p > new and buf[p - 1] == "\\":
                    buf = buf[:p - 1] + buf[p:]     # escaped semicolons aren't comments: "\;" -> ";"
                    new = p
                elif buf[p + 1:p + 2] == "-" and buf[p + 2:p + 3] == "-" and buf[p + 3:p + 4] != "-":
                    if self.comment < MAX_NESTED_COMMENTS:      # ";--" starts a block comment
                        buf = buf[:p] + "\0" + buf[p + 1:]
                        new = p + 3
                        self.comment += 1
                    else:
                        new = p + 1     # DEVIATION: "Maximum nest limit" - Asterisk loops forever here
                elif p >= new + 2 and buf[p - 1] == "-" and buf[p - 2] == "-":
                    self.comment -= 1               # "--;" ends one (a stray one makes the depth negative,
                    new = p + 1                     # and the rest of the file is then a comment)
                    if not self.comment:
                        if process is not None:
                            old = buf.find("\0", process)
                            old = len(buf) if old < 0 else old
                            self.comment_buffer += ";" + buf[old + 1:new]
                            rest = _cstr(buf, new)
                            buf = buf[:old] + rest + "\0" + buf[old + len(rest) + 1:]
                            new = old
                        else:
                            process = new
                elif not self.comment:
                    # a plain ";": the rest of the line is a comment.  Since 22 ("retain leading whitespace
                    # before comments") the blanks before the ";" go with it; if the comment is not in column 1
                    # and starts with two spaces, those two are dropped (the writer puts them back).
                    q = p
                    while q > new and buf[q - 1] in " \t\n\v\f\r":
                        q -= 1
                    if q != new and buf[q:q + 1] == " " and buf[q + 1:q + 2] == " ":
                        q += 2
                    self.lline += _cstr(buf, q)
                    buf = buf[:q] + "\0" + buf[q + 1:]
                    new = q
                else:
                    new = p + 1
            if self.comment and process is None:
                self.comment_buffer += _cstr(buf, 0)       # the whole line is a comment, store it
            if process is not None:
                cur = ast_strip(_cstr(buf, process))
                if cur:
                    self.process_text_line(cur, lineno)
        if not data or data.endswith(b"\n"):
            self.lineno += 1        # while (!feof(f)) { lineno++; fgets() == NULL }: counts for the next glob file
        # end of file: anything in the comment buffer becomes the trailing comment of the last object
        if self.comment_buffer:
            for last in (self.last_cat, self.last_var, self.last_inc):
                if last is not None:
                    last.trailing = self.comment_buffer + self.lline
                    break

    def _take_comments(self, obj):
        obj.precomments = self.comment_buffer
        obj.sameline = self.lline
        self.comment_buffer = ""
        self.lline = ""

    def process_text_line(self, cur, lineno):
        """process_text_line() in config.c."""
        cfg = self.cfg
        if cur[0] == "[":                           # a category header
            c = cur.find("]")
            if c < 0:
                raise ConfigInvalid("parse error: no closing ']', line %d" % lineno)
            catname = cur[1:c]
            opts = None
            if cur[c + 1:c + 2] == "(":
                opts = cur[c + 2:]
                e = opts.find(")")
                if e < 0:
                    raise ConfigInvalid("parse error: no closing ')', line %d" % lineno)
                opts = opts[:e]
            newcat = Category(catname, lineno, file=self.obj_file())      # the name is cut to 79 bytes
            self.cat = newcat
            self._take_comments(newcat)
            if opts is not None:
                for o in opts.split(","):           # strsep(&c, ","): no trimming
                    if _ascii_lower(o) == "!":
                        self.cat.ignored = True
                    elif o.startswith("+"):
                        existing = category_get(cfg, catname, o[1:], "&")   # the whole, uncut name
                        if existing is None:
                            raise ConfigInvalid("Category addition requested, but category '%s' does not exist"
                                                % catname)
                        self.cat = existing
                        if newcat is not None:
                            cfg.current = existing
                            existing.ignored = existing.ignored or newcat.ignored
                            variable_append(existing, newcat.vars)          # move_variables()
                            newcat = None                                   # (and its comments)
                    else:
                        base = category_get(cfg, o, "TEMPLATES=include")    # "" matches the first category
                        if base is None:
                            raise ConfigInvalid("Inheritance requested, but category '%s' does not exist" % o)
                        self.cat.inherit(base)
            self.last_cat = newcat
            self.last_var = None
            self.last_inc = None
            if newcat is not None:
                cfg.cats.append(newcat)             # ast_category_append()
                cfg.current = newcat
        elif cur[0] == "#":
            self.directive(cur, lineno)
        else:                                       # just a line (variable = value)
            cat = self.cat
            if cat is None:
                raise ConfigInvalid("parse error: No category context for line %d" % lineno)
            esc = 1 if cur[0] == "\\" else 0
            if esc:
                cur = cur[1:]
                if not cur or _signed_char_below_33(cur[0]):
                    raise ConfigInvalid("Invalid escape in line %d" % lineno)
            c = cur.find("=", esc)
            if c < 0:
                return                              # "No '=' (equal sign) in line": warning only
            obj = False
            if c > esc and cur[c - 1] == "+":       # "name += more"
                name = ast_strip(cur[:c - 1])
                value = cur[c + 1:]
                replace = None
                for v in cat.vars:                  # the LAST variable of that name (strcmp) ...
                    if v.name == name:
                        replace = v
                if replace is not None:
                    # ... but ast_variable_update() then changes the FIRST one with that name and value
                    newval = (replace.value + value).rstrip(BLANKS).lstrip(BLANKS)
                    variable_update(cat, replace.name, newval, replace.value, False)
                    return                          # (its comments stay in the buffer for the next object)
            else:
                name = cur[:c]
                value = cur[c + 1:]
                if value.startswith(">"):           # "Ignore > in =>"
                    obj = True
                    value = value[1:]
                name = ast_strip(name)
            if not name:
                return                              # "No variable name in line": warning only
            v = Var(name, ast_strip(value), lineno, obj, self.obj_file())
            self.last_cat = None
            self.last_var = v
            self.last_inc = None
            variable_append(cat, [v])
            self._take_comments(v)

    def directive(self, cur, lineno):
        """#include, #tryinclude, #exec.  #exec needs execincludes in asterisk.conf (off by default): ignored, as are
        unknown directives and directives without argument."""
        word = cur[1:]
        arg = None
        i = 0
        while i < len(word) and 32 < ord(word[i]) < 128:    # `*c > 32` on a signed char
            i += 1
        if i < len(word):
            arg = ast_strip(word[i + 1:]) or None
        word = _ascii_lower(word[:i])
        if word not in ("include", "tryinclude") or arg is None:
            return
        if arg[0] in "\"<":                         # "Strip off leading and trailing "'s and <>'s"
            q = ">" if arg[0] == "<" else "\""
            if arg.endswith(q):
                arg = arg[1:-1] if len(arg) > 1 else ""
        cfg = self.cfg
        inc, real_name = include_new(cfg, "" if cfg.include_level == 1 else self.configfile, arg, word, lineno,
                                     self.confdir)
        result = config_internal_load(cfg, arg, self.confdir, real_name)
        if result is None and word == "include":
            raise ConfigInvalid("The file '%s' was listed as a #include but it does not exist." % arg)
        self._take_comments(inc)
        self.last_cat = None
        self.last_var = None
        self.last_inc = inc


def include_new(cfg, from_file, included_file, kind, lineno, confdir):
    """ast_include_new(): a file included a second time is saved as "name~~N"; #include remembers the path it
    names, #tryinclude the existing paths its pattern matches."""
    real_name = ""
    prev = None
    for x in cfg.includes:                          # ast_include_find(): strcmp on included_file
        if x.included_file == included_file:
            prev = x
            break
    if prev is not None:
        count = getattr(prev, "inclusion_count", 0)
        while True:
            count += 1
            real_name = "%s~~%d" % (included_file, count)
            if not os.path.exists(real_name):       # stat() relative to Asterisk's working directory
                break
        prev.inclusion_count = count
    inc = Include(from_file, lineno, real_name or included_file, kind)
    fn = make_fn(confdir, inc.included_file, from_file)
    if kind == "include":
        inc.included_files = [fn]
    else:
        inc.included_files = [p for p in c_glob(fn) if os.path.exists(p)]
    cfg.includes.append(inc)
    return inc, real_name


def make_fn(confdir, file, configfile):
    """make_fn(): the file an object or include belongs to ("" = configfile), made absolute in the config dir."""
    if not file:
        return configfile if configfile.startswith("/") else "%s/%s" % (confdir, configfile)
    if file.startswith("/"):
        return file
    return "%s/%s" % (confdir, file)


def parse_config(data, confdir=None):
    """A Config parsed from bytes (or str), or ConfigInvalid (#include names are looked up in confdir)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    cfg = Config()
    cfg.include_level = 1
    p = _ConfigParser(cfg, confdir or os.getcwd())
    p.comment = 0
    p.lineno = 0
    p.parse(data)
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


def print_comment(out, comment):
    """print_comment(): every complete line of the comment but the ";!" ones (the old header); a last line without
    its LF is not written."""
    parts = comment.split("\n")
    for line in parts[:-1]:
        if not line.startswith(";!"):
            out.append(line + "\n")


class SaveFailed(Exception):
    """ast_config_text_file_save2() returned -1 ("Save of config failed")."""


def _is_writable(fn):
    """is_writable() in config.c: the file if it exists, else its directory, must be readable and writable."""
    if os.path.exists(fn):
        return os.access(fn, os.R_OK | os.W_OK)
    return os.access(os.path.dirname(fn) or ".", os.R_OK | os.W_OK)


def save_config(cfg, configfile, confdir, generator="Manager", preserve_effective_context=True):
    """ast_config_text_file_save2(): what Asterisk writes, as [(mode, path, text)] in order; mode "w" truncates
    (fopen "w": the header), "a" appends (fopen "a": Asterisk reopens the file for every object).  Every
    #include-d file is truncated and re-headed too, and each object goes back to the file it came from.

    Blank lines come from insert_leading_blank_lines(): the gap between an object's original line number and the
    last written one of its file (a Delete therefore leaves a blank line; new objects, numbered -1/0, get none),
    and from the blank lines the reader kept in the comments.  Raises SaveFailed when a file is not writable."""
    ops = []
    pads = {}                                       # set_fn(): one scratch pad (lineno) per file

    def set_fn(file):
        fn = make_fn(confdir, file, configfile)
        pads.setdefault(fn, [1])
        return fn

    def append(fn, text):
        if text:
            ops.append(("a", fn, text))

    def leading_blank_lines(fn, precomments, lineno):
        pad = pads[fn]
        precomment_lines = precomments.count("\n")
        gap = lineno - precomment_lines - pad[0]
        if gap < 0 or lineno == 0:                  # insertions / replacements mess up the numbering
            return
        if gap < 5:
            append(fn, "\n" * gap)
        else:
            append(fn, "\n")                        # deletion occurred: a single blank line
        pad[0] = lineno + 1

    def comment(fn, text):
        out = []
        print_comment(out, text)
        append(fn, "".join(out))

    def dump_include(fn, incl):
        leading_blank_lines(fn, incl.precomments, incl.location_lineno)
        comment(fn, incl.precomments)
        append(fn, '#%s "%s"\n' % (incl.kind, incl.included_file))      # print_include()
        incl.output = True

    def includes_before(fn, file, lineno):
        for incl in cfg.includes:
            if incl.location_file == file and lineno > incl.location_lineno and not incl.output:
                dump_include(fn, incl)

    for incl in cfg.includes:
        incl.output = False
        for path in incl.included_files:
            if not _is_writable(path):
                raise SaveFailed(path)
    main = make_fn(confdir, "", configfile)
    if not _is_writable(main):
        raise SaveFailed(main)
    for incl in cfg.includes:
        for path in incl.included_files:
            set_fn(path)
            ops.append(("w", path, gen_header(configfile, path, generator)))
    set_fn("")
    ops.append(("w", main, gen_header(configfile, main, generator)))

    for cat in cfg.cats:
        fn = set_fn(cat.file)
        includes_before(fn, cat.file, cat.lineno)
        leading_blank_lines(fn, cat.precomments, cat.lineno)
        comment(fn, cat.precomments)
        head = "[%s]" % cat.name
        if cat.ignored or cat.templates:
            head += "(" + ("!" if cat.ignored else "") + ("," if cat.ignored and cat.templates else "")
            head += ",".join(t[0] for t in cat.templates) + ")"
        append(fn, head + (cat.sameline or "\n"))
        comment(fn, cat.trailing)
        for var in cat.vars:
            found = False
            for _, inst in cat.templates:
                for v in inst.vars:
                    same = _ascii_lower(var.name) == _ascii_lower(v.name) and var.value == v.value
                    if same or (not preserve_effective_context and var.inherited):
                        found = True
                        break
                if found:
                    break
            if found:
                continue
            fn = set_fn(var.file)
            includes_before(fn, var.file, var.lineno)
            leading_blank_lines(fn, var.precomments, var.lineno)
            comment(fn, var.precomments)
            escaped = var.value.replace(";", "\\;")           # ast_escape_semicolons()
            op = "=>" if var.object else "="
            if var.sameline:
                append(fn, "%s %s %s  %s" % (var.name, op, escaped, var.sameline))
            else:
                append(fn, "%s %s %s\n" % (var.name, op, escaped))
            comment(fn, var.trailing)
    for incl in cfg.includes:                       # "files with trailing #include/#exec statements"
        if not incl.output:
            fn = set_fn(incl.location_file)
            dump_include(fn, incl)
            comment(fn, incl.trailing)
    return ops


def write_saved(ops):
    """Apply save_config()'s operations to the disk: each file truncated ("w") or appended to, in place (same
    inode), as fopen() does.  DEVIATION: each file is written once, in one write(), not object by object."""
    files = collections.OrderedDict()
    for mode, path, text in ops:
        if mode == "w" or path not in files:
            files[path] = [mode, []]
        files[path][1].append(text)
    for path, (mode, texts) in files.items():
        with open(path, "wb" if mode == "w" else "ab") as f:
            f.write("".join(texts).encode("utf-8", "surrogateescape"))


def saved_text(ops, path):
    """The text save_config() writes into path from its truncation on (tests)."""
    out = None
    for mode, p, text in ops:
        if p != path:
            continue
        if mode == "w":
            out = []
        if out is not None:
            out.append(text)
    return "".join(out or [])


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
    """sscanf(s, "%30d"): leading white space, then at most 30 chars of sign and digits; glibc converts with
    strtol() (clamped to LONG_MIN/LONG_MAX) and stores an int (cut to 32 bits)."""
    m = re.match(r"[ \t\n\r\f\v]*([+-]?\d+)", s or "")
    if not m:
        return None
    tok = m.group(1)[:30]
    if tok in ("+", "-"):
        return None
    v = max(-2 ** 63, min(int(tok), 2 ** 63 - 1))
    return ((v + 2 ** 31) % 2 ** 32) - 2 ** 31


def variable_update(cat, var, value, match, obj):
    """ast_variable_update(): replace the FIRST variable named var (strcasecmp), valued match (strcasecmp) if match
    is given.  The new variable keeps line number, comments and "=>" of the old one (ast_variable_move())."""
    for i, cur in enumerate(cat.vars):
        if _ascii_lower(cur.name) != _ascii_lower(var) or (match and _ascii_lower(cur.value) != _ascii_lower(match)):
            continue
        newer = Var(var, value, cur.lineno, cur.object or obj, cur.file)
        newer.precomments, newer.sameline, newer.trailing = cur.precomments, cur.sameline, cur.trailing
        cat.vars[i] = newer
        if cat.last is cur:
            cat.last = newer
        return True
    return False


def variable_delete(cat, var, match, line):
    """ast_variable_delete(): by item number (Line), else every variable named var (valued match)."""
    req_item = -1
    if line:
        req_item = _scan_int(line)
        if req_item is None or req_item < 0:
            return False
    keep = []
    res = False
    prev = None
    for num, cur in enumerate(cat.vars):
        if (req_item >= 0 and num == req_item) or (
                req_item < 0 and _ascii_lower(cur.name) == _ascii_lower(var or "")
                and (not match or _ascii_lower(cur.value) == _ascii_lower(match))):
            res = True
            if cur is cat.last:
                cat.last = prev
        else:
            keep.append(cur)
            prev = cur
    cat.vars[:] = keep
    return res


def variable_insert(cat, v, line):
    """ast_variable_insert(): Line 0 puts v first; any other number n puts it after the min(n, count)-th variable
    (after the first one when n < 1); category->last is not updated.  With no variable at all, or with one and
    n >= 2, Asterisk dereferences NULL and dies: raises AsteriskWouldCrash."""
    n = _scan_int(line)
    if n is None:
        return                                      # sscanf() failed: nothing inserted, still "Success"
    if n == 0:
        cat.vars.insert(0, v)
        return
    if not cat.vars or (len(cat.vars) == 1 and n >= 2):
        raise AsteriskWouldCrash("ast_variable_insert(): NULL dereference (Line %d, %d variables)"
                                 % (n, len(cat.vars)))
    cat.vars.insert(min(max(n, 1), len(cat.vars)), v)


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
                if _ascii_lower(token) == "allowdups":
                    allowdups = True
                elif _ascii_lower(token) == "template":
                    istemplate = True
                elif _ascii_lower(token) == "ignoreerror":
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
        act = _ascii_lower(action)
        if act == "newcat":
            if not allowdups and category_get(cfg, cat, "TEMPLATES=include"):
                if ignoreerror:
                    continue
                result = "FAILURE_NEWCAT"
                break
            category = Category(cat, -1, istemplate, dfn)     # ast_category_new(): name cut to 79 bytes
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
                    cfg.cats.append(category)               # ast_category_append()
                    cfg.current = category
                else:                               # ast_category_insert(): before the category named match
                    for i, c in enumerate(cfg.cats):
                        if _ascii_lower(c.name) == _ascii_lower(match):
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
                c.name = category_name(value)       # ast_category_rename(): cut to 79 bytes
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
                c.last = None
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
                variable_append(c, [Var(var, value, 0, obj or _ascii_lower(match) == "object", dfn)])
            if not found:
                result = "UNKNOWN_CATEGORY"
                break
        elif act == "insert":
            if not var or not line:
                result = "UNSPECIFIED_ARGUMENT"
                break
            found = browse_filtered(cfg, cat, catfilter)
            for c in found:
                variable_insert(c, Var(var, value, 0, False, dfn), line)   # a leading ">" dropped, no "=>"
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
        self.acl = []                   # [(allow, ip_network)] in file order (ast_append_ha)
        self.writetimeout = 100         # ms
        self.allowmultiplelogin = True

    def acl_allows(self, addr):
        """ast_apply_acl() -> ast_apply_ha(): start with "allow", the LAST matching permit/deny line decides."""
        allow = True
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return True
        for sense, net in self.acl:
            if ip.version == net.version and ip in net:
                allow = sense
        return allow


def _parse_ha(value):
    """ast_append_ha(): "addr[/mask]" with a dotted mask or a prefix length; "!" inverts the line."""
    v = value.strip()
    invert = v.startswith("!")
    if invert:
        v = v[1:].strip()
    return invert, ipaddress.ip_network(v, strict=False)


def load_users(text):
    """__init_manager(): [general] options (all of them first, whatever their place in the file) and one [user]
    section per AMI user.  A user whose permit/deny line does not parse is deleted ("Invalid ACL")."""
    cfg = parse_config(text)
    # DEVIATION: timestampevents defaults to yes here (the transcripts were captured with it); Asterisk's is no
    general = {"timestampevents": "yes", "authtimeout": "30", "authlimit": "50", "allowmultiplelogin": "yes"}
    gen = category_get(cfg, "general", None)          # ast_variable_browse(cfg, "general")
    if gen is not None:
        for v in gen.vars:
            general[_ascii_lower(v.name)] = v.value
    users = {}
    dropped = set()
    for cat in cfg.cats:
        if cat.ignored or _ascii_lower(cat.name) == "general":    # ast_category_browse() skips templates
            continue
        key = _ascii_lower(cat.name)
        u = users.get(key)                               # get_manager_by_name_locked(): strcasecmp
        if u is None:
            u = User(cat.name)
            u.allowmultiplelogin = ast_true(general.get("allowmultiplelogin", "yes"))
        u.acl = []
        for v in cat.vars:
            n = _ascii_lower(v.name)
            if n == "secret":
                u.secret = v.value
            elif n in ("permit", "deny"):
                getattr(u, n).append(v.value)
                try:
                    invert, net = _parse_ha(v.value)
                    u.acl.append(((n == "permit") != invert, net))
                except ValueError:
                    dropped.add(key)                     # "Invalid ACL '%s' for manager user '%s'. Deleting user"
            elif n == "acl":
                dropped.add(key)                         # DEVIATION: named ACLs (acl.conf) are not supported
            elif n == "read":
                u.readperm = get_perm(v.value)
            elif n == "write":
                u.writeperm = get_perm(v.value)
            elif n == "allowmultiplelogin":
                u.allowmultiplelogin = ast_true(v.value)
            elif n == "writetimeout":
                wt = _atoi(v.value)
                if wt >= 100:                            # "Invalid writetimeout value" below 100
                    u.writetimeout = wt
        users[key] = u
    for key in dropped:
        users.pop(key, None)
    return general, users


def _atoi(s):
    """atoi(): leading blanks, sign, digits; 0 when there are none."""
    v = _scan_int(s)
    return 0 if v is None else v


def users_text(users, general=None):
    """Build a manager.conf-like users file from {name: {"secret":..,"read":..,"write":..}}."""
    out = ["[general]\n"]
    for k, v in (general or {}).items():
        out.append("%s = %s\n" % (k, v))
    for name, u in users.items():
        out.append("\n[%s]\n" % name)
        for key in u:                                    # in the dict's order: permit/deny order matters
            vals = u[key] if isinstance(u[key], (list, tuple)) else [u[key]]
            for val in vals:
                out.append("%s = %s\n" % (key, val))
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
    "Shutdown": (EVENT_FLAG_SYSTEM, ["Shutdown", "Restart"]),
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


def _track_channels(channels, name, fields):
    """What CoreShowChannels would say of a call's channels after its event `name`: each channel's state fields,
    its bridge, and what it runs (the caller Dial() with the Cdr's LastData, the dialled leg AppDial)."""
    f = collections.OrderedDict(fields)
    for prefix in ("", "Dest"):
        uid = f.get(prefix + "Uniqueid")
        if not uid:
            continue
        if name == "Hangup":
            channels.pop(uid, None)
            continue
        c = channels.setdefault(uid, {"created": time.time(), "Application": "AppDial",
                                      "ApplicationData": "(Outgoing Line)"})
        for k in CHANNEL_STATE_FIELDS:
            if prefix + k in f:
                c[k] = f[prefix + k]
        if name == "DialBegin" and not prefix:
            c["Application"], c["ApplicationData"] = "Dial", "PJSIP/%s,20" % f.get("DialString", "")
        if name == "BridgeEnter":
            c["BridgeId"] = f.get("BridgeUniqueid", "")
        if name == "BridgeLeave":
            c["BridgeId"] = ""


# --- module reloads: ast_module_reload() in main/loader.c ------------------------------------------------------------

# What `Action: Reload` answered for each of the 319 modules of the real Asterisk 22.10.1 built and configured by
# shared/tools/asterisk (build.sh + config.sh), observed 2026-12-02: status (enum ast_module_reload_result) -> names.
# 0 = Module Reloaded, 3 = An unknown error occurred, 5 = Module not initialized (loaded, not running: no config),
# 6 = Module does not support reload.  Any other name: 2 = No such module.
MODULE_RELOAD_STATUS = {
    0: """
        acl app_minivm.so app_playback.so app_sla.so app_voicemail.so cdr cdr_csv.so cdr_manager.so chan_websocket.so
        dnsmgr dsp enum extconfig http indications logger manager pbx_config.so plc res_adsi.so res_aeap.so res_ari.so
        res_clialiases.so res_config_sqlite3.so res_crypto.so res_fax.so res_geolocation.so res_musiconhold.so
        res_pjproject.so res_pjsip.so res_pjsip_authenticator_digest.so res_pjsip_config_wizard.so
        res_pjsip_endpoint_identifier_ip.so res_pjsip_geolocation.so res_pjsip_mwi.so res_pjsip_outbound_publish.so
        res_pjsip_outbound_registration.so res_pjsip_publish_asterisk.so res_rtp_asterisk.so res_smdi.so
        res_websocket_client.so udptl
""",
    5: """
        app_agent_pool.so app_alarmreceiver.so app_amd.so app_confbridge.so app_festival.so app_followme.so app_page.so
        app_queue.so cdr_custom.so cdr_pgsql.so cel_custom.so cel_manager.so cel_pgsql.so chan_iax2.so chan_unistim.so
        pbx_ael.so pbx_dundi.so res_calendar.so res_config_pgsql.so res_parking.so res_phoneprov.so res_pjsip_notify.so
        res_pjsip_phoneprov_provider.so res_prometheus.so res_stun_monitor.so
""",
    3: """
        cel features res_statsd.so
""",
    6: """
        app_adsiprog.so app_attended_transfer.so app_audiosocket.so app_authenticate.so app_blind_transfer.so
        app_bridgeaddchan.so app_bridgewait.so app_broadcast.so app_cdr.so app_celgenuserevent.so app_chanisavail.so
        app_channelredirect.so app_chanspy.so app_controlplayback.so app_db.so app_dial.so app_dictate.so
        app_directed_pickup.so app_directory.so app_disa.so app_dtmfstore.so app_dumpchan.so app_echo.so app_exec.so
        app_externalivr.so app_forkcdr.so app_getcpeid.so app_if.so app_mf.so app_milliwatt.so app_mixmonitor.so
        app_morsecode.so app_mp3.so app_originate.so app_playtones.so app_privacy.so app_read.so app_readexten.so
        app_record.so app_reload.so app_sayunixtime.so app_senddtmf.so app_sendtext.so app_sf.so app_signal.so
        app_sms.so app_softhangup.so app_speech_utils.so app_stack.so app_stasis.so app_stasis_broadcast.so
        app_stream_echo.so app_system.so app_talkdetect.so app_test.so app_transfer.so app_userevent.so app_verbose.so
        app_waitforcond.so app_waitforring.so app_waitforsilence.so app_waituntil.so app_while.so app_zapateller.so
        bridge_builtin_features.so bridge_builtin_interval_features.so bridge_holding.so bridge_native_rtp.so
        bridge_simple.so bridge_softmix.so ccss chan_audiosocket.so chan_bridge_media.so chan_pjsip.so chan_rtp.so
        codec_a_mu.so codec_adpcm.so codec_alaw.so codec_g722.so codec_g726.so codec_gsm.so codec_ilbc.so codec_lpc10.so
        codec_resample.so codec_ulaw.so format_g719.so format_g723.so format_g726.so format_g729.so format_gsm.so
        format_h263.so format_h264.so format_ilbc.so format_pcm.so format_siren14.so format_siren7.so format_sln.so
        format_vox.so format_wav.so format_wav_gsm.so func_aes.so func_base64.so func_blacklist.so
        func_callcompletion.so func_callerid.so func_cdr.so func_channel.so func_config.so func_cut.so func_db.so
        func_devstate.so func_dialgroup.so func_dialplan.so func_enum.so func_env.so func_evalexten.so func_export.so
        func_extstate.so func_frame_drop.so func_frame_trace.so func_global.so func_groupcount.so func_hangupcause.so
        func_holdintercept.so func_iconv.so func_jitterbuffer.so func_json.so func_lock.so func_logic.so func_math.so
        func_md5.so func_module.so func_periodic_hook.so func_pitchshift.so func_pjsip_aor.so func_pjsip_contact.so
        func_pjsip_endpoint.so func_presencestate.so func_rand.so func_realtime.so func_sayfiles.so func_scramble.so
        func_sha1.so func_shell.so func_sorcery.so func_sprintf.so func_srv.so func_strings.so func_sysinfo.so
        func_talkdetect.so func_timeout.so func_uri.so func_uuid.so func_version.so func_vmcount.so func_volume.so
        pbx_loopback.so pbx_realtime.so pbx_spool.so res_ael_share.so res_agi.so res_ari_applications.so
        res_ari_asterisk.so res_ari_bridges.so res_ari_channels.so res_ari_device_states.so res_ari_endpoints.so
        res_ari_events.so res_ari_model.so res_ari_playbacks.so res_ari_recordings.so res_ari_sounds.so
        res_audiosocket.so res_cdrel_custom.so res_clioriginate.so res_convert.so res_format_attr_celt.so
        res_format_attr_g729.so res_format_attr_h263.so res_format_attr_h264.so res_format_attr_ilbc.so
        res_format_attr_opus.so res_format_attr_silk.so res_format_attr_siren14.so res_format_attr_siren7.so
        res_format_attr_vp8.so res_http_websocket.so res_limit.so res_manager_devicestate.so
        res_manager_presencestate.so res_mutestream.so res_mwi_devstate.so res_pjsip_acl.so res_pjsip_aoc.so
        res_pjsip_caller_id.so res_pjsip_dialog_info_body_generator.so res_pjsip_diversion.so res_pjsip_dlg_options.so
        res_pjsip_dtmf_info.so res_pjsip_empty_info.so res_pjsip_endpoint_identifier_anonymous.so
        res_pjsip_endpoint_identifier_user.so res_pjsip_exten_state.so res_pjsip_header_funcs.so res_pjsip_history.so
        res_pjsip_logger.so res_pjsip_maintenance.so res_pjsip_messaging.so res_pjsip_mwi_body_generator.so
        res_pjsip_nat.so res_pjsip_one_touch_record_info.so res_pjsip_outbound_authenticator_digest.so res_pjsip_path.so
        res_pjsip_pidf_body_generator.so res_pjsip_pidf_digium_body_supplement.so
        res_pjsip_pidf_eyebeam_body_supplement.so res_pjsip_pubsub.so res_pjsip_refer.so res_pjsip_registrar.so
        res_pjsip_rfc3326.so res_pjsip_rfc3329.so res_pjsip_sdp_rtp.so res_pjsip_send_to_voicemail.so
        res_pjsip_session.so res_pjsip_sips_contact.so res_pjsip_t38.so res_pjsip_transport_websocket.so
        res_pjsip_xpidf_body_generator.so res_realtime.so res_rtp_multicast.so res_security_log.so res_sorcery_astdb.so
        res_sorcery_config.so res_sorcery_memory.so res_sorcery_memory_cache.so res_sorcery_realtime.so res_speech.so
        res_speech_aeap.so res_stasis.so res_stasis_answer.so res_stasis_broadcast.so res_stasis_device_state.so
        res_stasis_playback.so res_stasis_recording.so res_stasis_snoop.so res_timing_pthread.so res_timing_timerfd.so
        res_tonedetect.so sounds
""",
}
MODULES = {}
for _status, _names in MODULE_RELOAD_STATUS.items():
    for _name in _names.split():
        MODULES[_ascii_lower(_name[:-3] if _name.endswith(".so") else _name)] = _status
RELOAD_MESSAGES = {0: None, 1: None, 2: "No such module", 3: "An unknown error occurred",
                   4: "A reload is in progress", 5: "Module not initialized", 6: "Module does not support reload"}


def module_reload(pbx, name, via, filename=None):
    """ast_module_reload(name): the status (resource_name_match(): case-insensitive, ".so" optional), recorded for
    the control channel, and publish_reload_message(): a manager event "Reload" (class system) with Module (the
    name as given, "All" for every module) and Status.  DEVIATION: on Asterisk that event travels through stasis
    and may reach a session after the answer of its NEXT request (observed); here it is queued at once.

    What a reload loads: res_pjsip.so (or every module) re-reads pjsip.conf into what PJSIPShow*, DeviceStateList
    and "pjsip show ..." report, pbx_config.so (or every module) extensions.conf into what ShowDialPlan reports;
    until then they keep what was loaded before (observed: a phone whose file is right is not live until a reload
    ran).  One reload at a time: ast_module_reload() only trylocks its reloadlock, so a reload asked for while
    another runs (for any module: control reload_ms makes each one last) answers AST_MODULE_RELOAD_IN_PROGRESS
    and does nothing ("The previous reload command didn't finish yet", only at verbose 3); UpdateConfig's Reload
    header ignores that answer, so its reload is silently lost (observed on 22.10.1 with a 130 ms reload).
    While the PBX boots (control restart with boot_ms) a reload is only queued, answered as done, and run when
    the boot ends (observed)."""
    with pbx.lock:
        booting = pbx.booting
        if booting and name not in pbx.reload_queue:
            pbx.reload_queue.append(name)
    if booting:
        # ast_module_reload() before modules_loaded: queue_reload_request(), AST_MODULE_RELOAD_QUEUED, which
        # action_reload answers as a success ("Module Reloaded", observed); run at the boot's end.
        status = 1
        pbx._record_reload(name or "all", via, filename, status, touch=False)
        pbx.emit("Reload", [("Module", name or "All"), ("Status", str(status))], EVENT_FLAG_SYSTEM)
        return status
    if not pbx.reload_lock.acquire(blocking=False):
        status = 4                               # AST_MODULE_RELOAD_IN_PROGRESS: nothing reloaded, but the
        pbx._record_reload(name or "all", via, filename, status, touch=False)   # event goes out all the same
        pbx.emit("Reload", [("Module", name or "All"), ("Status", str(status))], EVENT_FLAG_SYSTEM)
        return status
    try:
        if name is None:
            status = 0                           # every module: SUCCESS as soon as one reloaded
        else:
            base = _ascii_lower(name[:-3] if name.endswith(".so") else name)
            status = pbx.module_status.get(base, MODULES.get(base, 2))
        pbx._record_reload(name or "all", via, filename, status)
        if status == 0:
            base = _ascii_lower((name or "").rsplit(".so", 1)[0])
            if name is None or base == "res_pjsip":
                pbx.load_pjsip()
            if name is None or base == "pbx_config":
                pbx.load_dialplan()
        if pbx.reload_ms:
            time.sleep(pbx.reload_ms / 1000.0)   # the reload's own duration, holding the lock
        pbx.emit("Reload", [("Module", name or "All"), ("Status", str(status))], EVENT_FLAG_SYSTEM)
        return status
    finally:
        pbx.reload_lock.release()


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
        lv = _ascii_lower(var)
        n = len(var)
        for h in self.headers:
            if _ascii_lower(h[:n]) == lv and h[n:n + 1] == ":":
                value = h[n + 1:].lstrip(BLANKS)
                if skip_empty and not value:
                    continue
                if last:
                    result = value
                else:
                    return value
        return result


def id_text(m, size):
    """The idText[size] most actions build with snprintf(idText, size, "ActionID: %s\\r\\n", id); "" without id."""
    aid = m.get("ActionID")
    return c_snprintf(size, "ActionID: %s\r\n" % aid) if aid else ""


class Session:
    """One AMI connection: session_do() / do_message() / get_input() / process_message().

    Input is read exactly the way get_input() reads it (see there): TLS quirks included.  Output is written the way
    astman_append()/send_string() write it: every astman_append() call is its own write (so its own TLS record)."""

    def __init__(self, pbx, sock, addr, tls_ctx):
        self.pbx = pbx
        self.sock = sock
        self.addr = addr
        self.tls_ctx = tls_ctx
        self.inbuf = b""                   # mansession_session.inbuf (char[1025]) / inlen
        self.too_long = False              # s->parsing == MESSAGE_LINE_TOO_LONG
        self.authenticated = False
        self.username = ""
        self.readperm = 0
        self.writeperm = 0
        self.writetimeout = 100            # build_mansession(): writetimeout = 100 (ms); the user's after Login
        self.send_events = -1              # build_mansession(): send_events = -1
        self.challenge = ""
        self.authstart = int(time.time())  # session_do(): time(&session->authstart), whole seconds
        self.out = []                      # the astman_append() calls of the current action, one write each
        self.events = collections.deque()
        self.ev_lock = threading.Lock()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.closed = False
        self.counted_unauth = False        # counted in unauth_sessions (session_do)

    # -- output
    def append(self, text):
        """astman_append(): one send_string() per call.  Kept until the action returns (so that the control
        channel's drop_after/delay can hold the answer back), then written call by call (flush)."""
        self.out.append(text)

    def send_response_full(self, m, resp, msg, listflag=None, moredata=False):
        """astman_send_response_full(): Response, ActionID (if any), EventList, Message, blank line: one write."""
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

    def list_complete(self, m, event, count, extra=(), single=False):
        """astman_send_list_complete_start() (one write), the action's own astman_append()s (extra), then
        astman_send_list_complete_end() ("\\r\\n", one more write); single: astman_send_list_complete() (one)."""
        s = "Event: %s\r\n" % event
        aid = m.get("ActionID")
        if aid:
            s += "ActionID: %s\r\n" % aid
        s += "EventList: Complete\r\nListItems: %d\r\n" % count
        if single:
            self.append(s + "\r\n")
            return
        self.append(s)
        for line in extra:
            self.append(line)
        self.append("\r\n")

    def flush(self):
        chunks, self.out = self.out, []
        for text in chunks:
            if self.closed:
                return
            if text:                       # ast_iostream_write() of 0 bytes writes nothing
                self.write(text.encode("utf-8", "surrogateescape"))

    def write(self, data):
        """send_string() -> ast_iostream_write(): blocks at most writetimeout ms (ast_iostream_set_timeout_inactivity
        then ast_iostream_set_timeout_disable); a short write sets s->write_error and the session ends."""
        try:
            self.sock.settimeout(self.writetimeout / 1000.0)
            self.sock.sendall(data)
        except (OSError, ValueError):      # socket.timeout and ssl.SSLError are OSErrors
            self.closed = True

    # -- events
    def queue_event(self, category, text):
        with self.ev_lock:
            self.events.append((category, text))
        try:
            self.wake_w.send(b"x")         # the pthread_kill() that interrupts the poll() of get_input()
        except OSError:
            pass

    def queue_events(self, category, texts):
        """queue_event for many at once (make bench's Cdr flood): one lock and one wake-up, each still one write."""
        with self.ev_lock:
            self.events.extend((category, t) for t in texts)
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    def process_events(self):
        """process_events(): deliver queued events this session may see (readperm and event mask), one write each."""
        while not self.closed:
            with self.ev_lock:
                if not self.events:
                    return
                category, text = self.events.popleft()
            data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
            if category is None:           # raw bytes from the control channel
                self.write(data)
                continue
            if (self.authenticated and (self.readperm & category) == category
                    and (self.send_events & category) == category):
                self.write(data)

    # -- input
    def _wait_for_input(self):
        """The wait of get_input(): ast_wait_for_input(ast_iostream_get_fd(stream), timeout), i.e. poll() on the
        RAW socket.  It never asks OpenSSL whether it holds decrypted bytes already (SSL_pending(); only
        ast_iostream_wait_for_input() would, and get_input() does not call it).  Returns 1 (socket readable),
        0 (woken for events, or the authtimeout second passed) or -1 (killed)."""
        while True:
            if self.closed:
                return -1
            timeout = -1
            if not self.authenticated:
                # timeout = (authtimeout - (now - authstart)) * 1000 with time() seconds: get_input() and
                # do_message() give up once time() - authstart > authtimeout, i.e. at this wall-clock second.
                deadline = self.authstart + self.pbx.authtimeout + 1
                timeout = deadline - time.time()
                if timeout <= 0:
                    return 0
                timeout = int(timeout * 1000) + 1
            with self.ev_lock:
                if self.events:            # s->session->pending_event
                    return 0
            poller = select.poll()
            try:
                poller.register(self.sock.fileno(), select.POLLIN | select.POLLPRI)
                poller.register(self.wake_r.fileno(), select.POLLIN)
                ready = poller.poll(timeout)
            except (OSError, ValueError):
                return -1
            if not ready:
                continue
            woken = False
            for fd, _ in ready:
                if fd == self.wake_r.fileno():
                    woken = True
                    try:
                        self.wake_r.recv(4096)
                    except OSError:
                        pass
            if self.closed:
                return -1
            if woken:
                return 0                   # poll() interrupted by the event signal: EINTR -> return 0
            return 1

    def _read(self, n):
        """ast_iostream_read(stream, src + inlen, maxlen - inlen): ONE read() / SSL_read() of at most n bytes.

        SSL_read() returns at most n bytes of the current TLS record and keeps the rest decrypted inside OpenSSL,
        where poll() cannot see it: Python's SSLSocket.recv(n) is SSL_read(), so a request written as one record
        larger than the free part of the 1024-byte buffer stalls here exactly as on Asterisk (ami.md, observed
        on 22.10.1).  The stream is non-blocking (ast_iostream_nonblock() in session_do) and not exclusive_input,
        so an SSL_read() that wants more socket bytes (a record not complete yet) fails with EAGAIN and get_input()
        returns -1: the session ends."""
        try:
            if self.tls_ctx is not None:
                self.sock.settimeout(0.0)
            data = self.sock.recv(n)
        except (OSError, ValueError):      # ssl.SSLWantReadError included
            return None
        return data or None                # 0 = EOF (SSL_ERROR_ZERO_RETURN / read() == 0): res < 1 -> -1

    def get_input(self):
        """get_input(): returns (1, line), (0, None) when no line is ready yet (do_message() then delivers events
        and calls again) or (-1, None) on EOF / error.

        A line ends at CRLF or at a bare LF (08-bare-lf-injection).  The buffer is char[1025] with maxlen 1024:
        when it holds 1024 bytes and no line end, the line is discarded keeping its last byte (it may be the CR of
        a CRLF) and the message is marked "line too long" (07-limits).  Otherwise: wait for the raw socket, then
        read at most 1024 - inlen bytes, once."""
        i = self.inbuf.find(b"\n")
        if i >= 0:
            line = self.inbuf[:i]
            if line.endswith(b"\r"):
                line = line[:-1]
            self.inbuf = self.inbuf[i + 1:]
            return 1, line
        if len(self.inbuf) >= INBUF_MAX:
            self.inbuf = self.inbuf[-1:]
            self.too_long = True
        res = self._wait_for_input()
        if res <= 0:
            return res, None
        data = self._read(INBUF_MAX - len(self.inbuf))
        if data is None:
            return -1, None
        self.inbuf += data
        return 0, None

    def read_message(self):
        """do_message(): collect header lines until an empty one.  Returns (Message, hdr_loss) or None.

        process_events() runs before every get_input() call, so events queued meanwhile go out between the lines of
        a request (never inside an answer)."""
        headers = []
        hdr_loss = False
        while True:
            self.process_events()
            if self.closed:
                return None
            res, line = self.get_input()
            if res == 0:
                if not self.authenticated and int(time.time()) - self.authstart > self.pbx.authtimeout:
                    return None             # "failed to authenticate in %d seconds"
                continue
            if res < 0:
                return None
            line = line.split(b"\0", 1)[0]     # a NUL ends the C string (ast_strdup(header_buf))
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
                # handle_tcptls_connection() -> ast_iostream_start_tls(): the handshake comes first, with a 30 s
                # SO_RCVTIMEO/SO_SNDTIMEO; a failed handshake just closes.
                self.sock.settimeout(30)
                self.sock = self.tls_ctx.wrap_socket(self.sock, server_side=True)
            if not pbx._claim_unauth(self):
                return                          # session_do(): unauth_sessions >= authlimit -> closed, no banner
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
            # do_message(): this answer does not reset s->parsing, so a message that was also "line too long"
            # makes the NEXT message answer "line too long" too.
            self.send_error(m, "Too many lines in message or allocation failure")
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
        if self.closed:
            return -1                           # s->write_error
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
        if pbx.shutting_down:
            # ast_shutting_down(): every action, Login included, refused before anything runs (observed).
            self.send_error(m, "Asterisk is shutting down")
            return 0
        low = _ascii_lower(action_name)
        if not self.authenticated and low not in ("login", "logoff", "challenge"):
            self.send_error(m, "Permission denied")
            return 0
        if not self.authenticated and low in ("login", "challenge"):
            username = m.get("Username")
            if username:
                user = pbx.users.get(_ascii_lower(username))
                if pbx._user_in_use(username, self) and user and not user.allowmultiplelogin:
                    time.sleep(1)
                    self.send_error(m, "Login Already In Use")
                    return -1
        entry = ACTIONS.get(low)
        if entry is None:
            # snprintf(buf, 512, ...): a very long action name loses the end of the sentence
            self.send_error(m, c_snprintf(512, "Invalid/unknown command: %s. Use Action: ListCommands to show "
                                               "available commands." % action_name))
            return 0
        name, authority, fn, _ = entry
        if not ((self.writeperm & authority) or authority == 0):
            self.send_error(m, "Permission denied")
            return 0
        pbx._count_action(name)
        return fn(self, m)

    def kill(self):
        """Abrupt end (session kicked, or a control-channel fault): no TLS close_notify."""
        self.closed = True
        self.killed = True
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except (OSError, ValueError, TypeError):
            pass
        try:
            self.wake_w.send(b"k")
        except OSError:
            pass

    def close(self):
        """ast_iostream_close(): SSL_shutdown() (a TLS close_notify, without waiting for the peer's), then
        shutdown(SHUT_RDWR) and close()."""
        self.closed = True
        if isinstance(self.sock, ssl.SSLSocket) and not getattr(self, "killed", False):
            try:
                self.sock.settimeout(0.0)
                self.sock.unwrap()
            except (OSError, ValueError, AttributeError):
                pass
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except (OSError, ValueError, TypeError):
            pass
        for s in (self.sock, self.wake_r, self.wake_w):
            try:
                s.close()
            except OSError:
                pass


# --- action handlers -------------------------------------------------------------------------------------------------

@action("Ping", 0, "Keepalive command.")
def action_ping(s, m):
    """action_ping(): three astman_append() calls, so three writes (three TLS records)."""
    aid = m.get("ActionID")
    now = time.time()
    s.append("Response: Success\r\n")
    if aid:
        s.append("ActionID: %s\r\n" % aid)
    s.append("Ping: Pong\r\nTimestamp: %d.%06d\r\n\r\n" % (int(now), int((now - int(now)) * 1000000)))
    return 0


@action("Events", 0, "Control Event Flow.")
def action_events(s, m):
    """action_events() (brokeneventsaction = no).  char id_text[256]: a long ActionID is cut, CRLF included."""
    idtext = id_text(m, 256)
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
    user = pbx.users.get(_ascii_lower(username))
    if user is None:
        return False
    if not user.acl_allows(s.addr[0] if s.addr else ""):
        return False                               # "failed to pass IP ACL"
    if _ascii_lower(m.get("AuthType")) == "md5":
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
    s.username = c_snprintf(80, username)         # ast_copy_string(s->session->username, ..., 80)
    s.readperm = user.readperm
    s.writeperm = user.writeperm
    s.writetimeout = user.writetimeout
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
    if (s.send_events & EVENT_FLAG_SYSTEM) and (s.readperm & EVENT_FLAG_SYSTEM) and not pbx.booting:
        now = time.time()
        s.append("Event: FullyBooted\r\nPrivilege: %s\r\nUptime: %d\r\nLastReload: %d\r\n"
                 "Status: Fully Booted\r\n\r\n" % (authority_to_str(EVENT_FLAG_SYSTEM), int(now - pbx.started),
                                                   int(now - pbx.reloaded)))
    return 0


@action("Challenge", 0, "Generate Challenge for MD5 Auth.")
def action_challenge(s, m):
    """action_challenge(): "%ld" of ast_random() in a char[10]: at most 9 digits (03-login-md5)."""
    if _ascii_lower(m.get("AuthType")) == "md5":
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
    """action_coresettings(): values as 01-login-and-basics shows; ONE astman_append() with a char idText[150]
    (a long ActionID is cut, CRLF included)."""
    s.append("Response: Success\r\n%sAMIversion: %s\r\nAsteriskVersion: %s\r\nSystemName: \r\nCoreMaxCalls: 0\r\n"
             "CoreMaxLoadAvg: 0.000000\r\nCoreRunUser: root\r\nCoreRunGroup: root\r\nCoreMaxFilehandles: 0\r\n"
             "CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: Yes\r\n"
             "SoundsSearchCustomDir: No\r\n\r\n" % (id_text(m, 150), AMI_VERSION, ASTERISK_VERSION))
    return 0


@action("CoreStatus", EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING, "Show PBX core status variables.")
def action_corestatus(s, m):
    """action_corestatus(): start and last reload of this test PBX; ONE astman_append(), char idText[150]."""
    pbx = s.pbx
    st, rl = time.localtime(pbx.started), time.localtime(pbx.reloaded)
    s.append("Response: Success\r\n%sCoreStartupDate: %s\r\nCoreStartupTime: %s\r\nCoreReloadDate: %s\r\n"
             "CoreReloadTime: %s\r\nCoreCurrentCalls: 0\r\nCoreProcessedCalls: 0\r\n\r\n"
             % (id_text(m, 150), time.strftime("%Y-%m-%d", st), time.strftime("%H:%M:%S", st),
                time.strftime("%Y-%m-%d", rl),
                time.strftime("%H:%M:%S", rl)))
    return 0


@action("Reload", EVENT_FLAG_CONFIG | EVENT_FLAG_SYSTEM, "Send a reload event.")
def action_reload(s, m):
    """action_reload(): ast_module_reload(S_OR(Module, NULL)); the answer follows its status."""
    module = m.get("Module")
    status = module_reload(s.pbx, module or None, "Reload")
    msg = RELOAD_MESSAGES[status]
    if msg is None:
        s.send_ack(m, "Module Reloaded")
    else:
        s.send_error(m, msg)
    return 0


def is_restricted_file(pbx, filename):
    """is_restricted_file(): 0 ok, 1 outside the config dir ("escalated privileges"), -1 realpath() failed
    (missing, or a path through a file)."""
    stripped = ast_strip(filename)
    path = stripped if stripped.startswith("/") else "%s/%s" % (pbx.confdir, stripped)
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, ValueError):
        return -1
    if not real.startswith(pbx.confdir):          # ast_begins_with(): a plain prefix test
        return 1
    return 0


def config_path(pbx, fn):
    """make_fn(): a relative name lives in the config dir."""
    return fn if fn.startswith("/") else "%s/%s" % (pbx.confdir, fn)


def load_config(pbx, fn):
    """ast_config_load2(fn, "manager", WITHCOMMENTS|NOCACHE): a Config, or "missing"/"invalid".

    config_text_file_load(): the path goes through a char fn[256] and glob(GLOB_NOMAGIC|GLOB_BRACE); what is not a
    regular file is ignored (so "missing"); #include-d files are read too."""
    cfg = Config()
    res = config_internal_load(cfg, fn, pbx.confdir)
    if res is None:
        return "missing"
    return res


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
    catcount = 0                                # one astman_append() (one write) per line below
    for cat in cfg.cats:
        if not does_category_match(cat, category, flt):
            continue
        s.append("Category-%06d: %s\r\n" % (catcount, cat.name))
        if cat.ignored:
            s.append("IsTemplate-%06d: %d\r\n" % (catcount, 1))
        if cat.templates:
            s.append("Templates-%06d: %s\r\n" % (catcount, ",".join(t[0] for t in cat.templates)))
        for lineno, v in enumerate(cat.vars):
            s.append("Line-%06d-%06d: %s=%s\r\n" % (catcount, lineno, v.name, v.value))
        catcount += 1
    if category and catcount == 0:
        s.append("No categories found\r\n")
    s.append("\r\n")
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
    s.append("JSON: {")                         # every piece is its own astman_append(), as there
    comma1 = False
    for cat in cfg.cats:
        if not does_category_match(cat, category, flt):
            continue
        s.append('%s"' % ("," if comma1 else ""))
        s.append(_json_escape(cat.name))
        s.append('":{')
        comma1 = True
        comma2 = False
        if cat.ignored:
            s.append('"istemplate":1')
            comma2 = True
        if cat.templates:
            s.append("," if comma2 else "")
            s.append('"templates":"%s"' % ",".join(t[0] for t in cat.templates))
            comma2 = True
        for v in cat.vars:
            s.append('%s"' % ("," if comma2 else ""))
            s.append(_json_escape(v.name))
            s.append('":"')
            s.append(_json_escape(v.value))
            s.append('"')
            comma2 = True
        s.append("}")
    s.append("}\r\n\r\n")
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
    n = 0
    for cat in cfg.cats:
        if does_category_match(cat, None, match):
            s.append("Category-%06d: %s\r\n" % (n, cat.name))
            n += 1
    if n == 0:
        s.append("Error: no categories found\r\n")
    s.append("\r\n")
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
    locks = [pbx._file_lock(p) for p in paths]       # DEVIATION: one lock per file (Asterisk has none)
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
        try:
            result = handle_updates(cfg, m.get, dfn)
        except AsteriskWouldCrash as e:
            return pbx._crash(s, "UpdateConfig: %s" % e)
        if result is not None:
            s.send_error(m, UPDATE_ERRORS[result])   # nothing saved
            return 0
        preserve = not (pec and not ast_true(pec))
        crash = pbx._crash_save_for(dfn)
        try:
            ops = save_config(cfg, dfn, pbx.confdir, "Manager", preserve)
            if crash:
                # kill -9 mid-save: the file was opened "w" (emptied), then only part of it was written.
                text = saved_text(ops, config_path(pbx, dfn)).encode("utf-8", "surrogateescape")
                with open(config_path(pbx, dfn), "wb") as f:
                    f.write(text[:int(len(text) * crash["fraction"])])
            else:
                write_saved(ops)
        except (SaveFailed, OSError):
            s.send_error(m, "Save of config failed")
            return 0
    finally:
        for lk in reversed(locks):
            lk.release()
    if crash:
        s.out = []
        pbx.restart()
        return -1
    s.send_ack(m, None)
    if rld:                                          # after the answer (asterisk issue #551: "no" is ignored)
        if ast_true(rld):
            module_reload(pbx, None, "UpdateConfig", dfn)
        elif not ast_false(rld):
            module_reload(pbx, rld, "UpdateConfig", dfn)
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
    try:
        real_dir = os.path.realpath(d or "/", strict=True)     # realpath(): a path through a FILE is fine here,
    except OSError as e:                                        # open() then fails with ENOTDIR
        s.send_error(m, os.strerror(e.errno or 2))
        return 0
    if not real_dir.startswith(pbx.confdir):
        s.send_error(m, "File requires escalated privileges")
        return 0
    target = "%s/%s" % (real_dir, name)
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL, 0o666)   # O_CREAT | O_EXCL, AST_FILE_MODE
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


PJSIP_TYPES = ("endpoint", "aor", "auth", "transport", "registration", "identify")


def empty_pjsip():
    """What res_pjsip has loaded before any pjsip.conf: nothing (plus the derived tables of read_pjsip_objects)."""
    objs = {t: {} for t in PJSIP_TYPES}
    objs["codecs"] = {}
    objs["static"] = {}
    return objs


def _endpoint_codecs(vars_):
    """The endpoint's format capabilities after its allow/disallow lines in order (ast_format_cap_update_by_allow_
    disallow): "all" clears (disallow) or - DEVIATION - adds only the common audio codecs (allow)."""
    caps = []
    for name, value in vars_:
        if name not in ("allow", "disallow"):
            continue
        for codec in [c.strip() for c in value.split(",") if c.strip()]:
            codec = _ascii_lower(codec)
            if codec == "all":
                caps = [] if name == "disallow" else ["ulaw", "alaw", "gsm", "g722", "g726", "slin"]
            elif name == "allow" and codec not in caps:
                caps.append(codec)
            elif name == "disallow" and codec in caps:
                caps.remove(codec)
    return caps


def read_pjsip_objects(pbx):
    """Endpoints, aors, auths, transports, registrations and identifies of pjsip.conf and the files it includes
    (type= of non-template sections), as res_pjsip's sorcery loads them (the first object of a name and type
    wins; each dict keeps the first value of a variable).  Derived: "codecs" (endpoint -> its allow/disallow
    result) and "static" (aor -> the URIs of its contact= lines, comma lists split: permanent_uri_handler)."""
    with pbx._file_lock(config_path(pbx, "pjsip.conf")):
        cfg = load_config(pbx, "pjsip.conf")
    objs = empty_pjsip()
    if isinstance(cfg, str):
        return objs
    for cat in cfg.cats:
        if cat.ignored:
            continue
        d = {}
        all_vars = []
        for v in cat.vars:
            d.setdefault(v.name.lower(), v.value)
            all_vars.append((v.name.lower(), v.value))
        t = d.get("type", "")
        if t in PJSIP_TYPES and cat.name not in objs[t]:
            objs[t][cat.name] = d
            if t == "endpoint":
                objs["codecs"][cat.name] = _endpoint_codecs(all_vars)
            if t == "aor":
                uris = []
                for name, value in all_vars:
                    if name == "contact":
                        uris += [u.strip() for u in value.split(",") if u.strip() and u.strip() not in uris]
                objs["static"][cat.name] = uris
    return objs


class Dialplan(collections.OrderedDict):
    """What pbx_config loaded: context -> [(extension, priority, application, data)] in Asterisk's order (see
    read_dialplan), plus .includes (context -> included context names, in order) and .labels
    ((context, extension, priority) -> label)."""

    def __init__(self):
        super().__init__()
        self.includes = {}
        self.labels = {}


def _ext_pattern_pos(p, i):
    """ext_cmp_pattern_pos() in main/pbx.c: (score, bitwise set, next index or None at the end)."""
    while True:
        while i < len(p) and p[i] == " ":
            i += 1
        c = p[i] if i < len(p) else ""
        i += 1
        bits = [0] * 32
        u = c.upper()
        if c == "":
            return 0x30000, bits, None
        if u == "N":
            bits[6], bits[7] = 0x3F, 0xC0
            return 0x0800 | ord("2"), bits, i
        if u == "X":
            bits[6], bits[7] = 0xFF, 0xC0
            return 0x0A00 | ord("0"), bits, i
        if u == "Z":
            bits[6], bits[7] = 0x7F, 0xC0
            return 0x0900 | ord("1"), bits, i
        if c == ".":
            return 0x18000, bits, i
        if c == "!":
            return 0x28000, bits, i
        if c != "[":
            o = ord(c) & 0xFF
            bits[o // 8] = 1 << (7 - o % 8)
            return 0x0100 | o, bits, i
        end = p.find("]", i)
        if end < 0:
            return 0x40000, bits, None           # "Wrong usage of [] in the extension"
        count, cmin = 0, 0xFF
        while i < end:
            c1 = ord(p[i]) & 0xFF
            if i + 2 < end and p[i + 1] == "-":
                c2 = ord(p[i + 2]) & 0xFF
                i += 2
            else:
                c2 = c1
            cmin = min(cmin, c1)
            for c in range(c1, c2 + 1):
                mask = 1 << (7 - c % 8)
                if not bits[c // 8] & mask:
                    bits[c // 8] |= mask
                    count += 0x100
            i += 1
        i += 1
        if count:
            return count | cmin, bits, i


def ext_sort_key(ext):
    """A key ordering extensions as ext_cmp() does (main/pbx.c): plain extensions first ('-' ignored, byte
    order), then patterns position by position (a narrower set first; equal scores: the set with the higher
    bits first).  Equal keys are one extension to Asterisk (e.g. _N and _[2-9])."""
    if not ext.startswith("_"):
        return (0, tuple(ord(ch) for ch in ext.replace("-", "")) + (0,))
    out, i = [], 1
    while i is not None:
        score, bits, i = _ext_pattern_pos(ext, i)
        out.append((score, tuple(255 - b for b in bits)))
    return (1, tuple(out))


def ext_match(pattern, number):
    """ast_extension_match(pattern, number) (E_MATCH): a plain extension equals the number ('-' ignored); a
    pattern matches it whole (N, X, Z, [..], '.' one or more, '!' zero or more characters)."""
    if not pattern.startswith("_"):
        return pattern.replace("-", "") == number.replace("-", "")
    rx, i, p = "", 1, pattern
    while i < len(p):
        c = p[i]
        u = c.upper()
        if u in "NXZ":
            rx += {"N": "[2-9]", "X": "[0-9]", "Z": "[1-9]"}[u]
        elif c == ".":
            rx += ".+"
        elif c == "!":
            rx += ".*"
        elif c == "[":
            end = p.find("]", i)
            if end < 0:
                return False
            rx += "[" + "".join("-" if ch == "-" else re.escape(ch) for ch in p[i + 1:end]) + "]"
            i = end
        elif c != " ":
            rx += re.escape(c)
        i += 1
    try:
        return re.fullmatch(rx, number, re.S) is not None
    except re.error:
        return False


def read_dialplan(pbx):
    """pbx_config's view of extensions.conf and the files it includes (pbx_load_config()): per context its
    extensions sorted as ext_cmp() sorts them (observed: _00. before _0ZXXXXXXXX, whatever the file's order),
    the priorities of each in order ("hint" first, "n" counts from the extension's previous priority, a
    priority given twice keeps the first as Asterisk refuses the second), labels "n(label)", and include lines
    (name before any ','): see Dialplan.  DEVIATION: no ${} substitution, no "same =>", no ignorepat/switch."""
    with pbx._file_lock(config_path(pbx, "extensions.conf")):
        cfg = load_config(pbx, "extensions.conf")
    plan = Dialplan()
    if isinstance(cfg, str):
        return plan
    raw = collections.OrderedDict()
    for cat in cfg.cats:
        if cat.ignored or _ascii_lower(cat.name) in ("general", "globals"):
            continue
        exts = raw.setdefault(cat.name, {})
        incs = plan.includes.setdefault(cat.name, [])
        last = {}
        for v in cat.vars:
            name = _ascii_lower(v.name)
            if name == "include":
                inc = v.value.split(",", 1)[0].strip()
                if inc and inc not in incs:
                    incs.append(inc)
                continue
            if name != "exten":
                continue
            parts = v.value.split(",", 2)
            if len(parts) < 3:
                continue
            ext, prio, rest = parts[0].strip(), parts[1].strip(), parts[2]
            label = None
            if "(" in prio and prio.endswith(")"):
                prio, label = prio[:-1].split("(", 1)
            key = ext_sort_key(ext)
            if prio == "n":
                prio = str(last.get(key, 0) + 1)
            if prio.isdigit():
                last[key] = int(prio)
            if prio == "hint":
                app, data = rest, None
            else:
                i = rest.find("(")
                app, data = (rest, "") if i < 0 else (rest[:i], rest[i + 1:].rstrip(")"))
            name_, prios = exts.setdefault(key, (ext, {}))
            if prio not in prios:
                prios[prio] = (app, data, label)
    for ctx, exts in raw.items():
        lines = plan.setdefault(ctx, [])
        for key in sorted(exts):
            ext, prios = exts[key]
            for prio in sorted(prios, key=lambda x: -1 if x == "hint" else int(x) if x.isdigit() else 0):
                app, data, label = prios[prio]
                lines.append((ext, prio, app, data))
                if label:
                    plan.labels[(ctx, ext, prio)] = label
    for ctx in plan.includes:
        plan.setdefault(ctx, [])
    return plan


def pjsip_objects(pbx):
    """What res_pjsip loaded at its last reload (see module_reload)."""
    with pbx.lock:
        return pbx.loaded_pjsip


def _contact_id(aor, uri):
    """res_pjsip location: contact id "aor;@md5(uri)" (10b-lists-registered)."""
    return "%s;@%s" % (aor, hashlib.md5(uri.encode()).hexdigest())


REGISTRATION_STATUSES = ("Unregistered", "Registered", "Rejected", "Stopped")
CONTACT_STATUSES = ("Reachable", "Unreachable", "NonQualified", "Unknown")
CONTACT_STATUS_SHORT = {"Reachable": "Avail", "Unreachable": "Unavail", "NonQualified": "NonQual",
                        "Unknown": "Unknown"}   # ast_sip_get_contact_short_status_label()


def _endpoint_contacts(pbx, name, ep):
    """Registered contacts of the endpoint (control set_contacts): (aor, contact dict)."""
    aor = (ep.get("aors") or name).split(",")[0].strip()
    return [(aor, c) for c in pbx.contacts.get(name, [])]


def _static_contact_id(aor, uri):
    """A permanent contact (aor's contact=): "aor@@md5(uri)" (observed: ContactStatusDetail ID)."""
    return "%s@@%s" % (aor, hashlib.md5(uri.encode()).hexdigest())


def _aor_contacts(pbx, aor):
    """Every contact of an aor as res_pjsip lists them (sorted by contact id: registered "aor;@..." before
    permanent "aor@@..."): dicts with id, uri, static, status, rtt_usec and the registered contact's fields."""
    objs = pjsip_objects(pbx)
    rows = []
    for c in pbx.contacts.get(aor, []):
        d = dict(c)
        d.update(id=_contact_id(aor, c["uri"]), static=False, status=c.get("status", "NonQualified"),
                 rtt_usec=c.get("rtt_usec"))
        rows.append(d)
    for uri in objs["static"].get(aor, []):
        st = pbx.contact_status.get((aor, uri), {})
        rows.append({"id": _static_contact_id(aor, uri), "uri": uri, "static": True,
                     "status": st.get("status", "NonQualified"), "rtt_usec": st.get("rtt_usec")})
    rows.sort(key=lambda r: r["id"])
    return rows


def _endpoint_aors(ep, name):
    return [a.strip() for a in (ep.get("aors") or "").split(",") if a.strip()]


def _qualify_frequency(aor):
    return _scan_int(aor.get("qualify_frequency", "0")) or 0


def _device_state(pbx, name, ep):
    """The endpoint's device state: registered contacts make it "Not in use"; permanent contacts count once
    qualify found them Reachable, or at once when their aor does not qualify (observed: Unavailable until the
    first OPTIONS answer, "Not in use" after; aor 250 without qualify_frequency "Not in use")."""
    st = pbx.device_states.get(name)
    if st:
        return st
    if _endpoint_contacts(pbx, name, ep):
        return "Not in use"
    objs = pjsip_objects(pbx)
    for a in _endpoint_aors(ep, name):
        aor = objs["aor"].get(a, {})
        for c in _aor_contacts(pbx, a):
            if c["static"] and (_qualify_frequency(aor) == 0 or c["status"] == "Reachable"):
                return "Not in use"
    return "Unavailable"


def _rtt_ms(c):
    return "%.3f" % (c["rtt_usec"] / 1000.0) if c.get("rtt_usec") is not None and c["status"] == "Reachable" \
        else "nan"


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
            for c in _aor_contacts(pbx, aor):
                out.append("%13s:  %-42.42s %-10.10s %-7.7s %11s" % (
                    "Contact", "%s/%s" % (aor, c["uri"]), hashlib.md5(c["uri"].encode()).hexdigest()[:10],
                    CONTACT_STATUS_SHORT.get(c["status"], c["status"]), _rtt_ms(c)))
    out += ["", "", "Objects found: %d" % len(eps), ""]
    return out


def cli_pjsip_show_contacts(pbx):
    """'pjsip show contacts': registered and permanent contacts (observed on 22.10.1 with permanent ones: the
    name field is 46 wide at this level, status Avail/Unavail/NonQual, RTT in ms with 3 decimals or nan)."""
    objs = pjsip_objects(pbx)
    rows = []
    names = set(objs["aor"]) | set(pbx.contacts)
    for aor in names:
        if aor in objs["aor"] or aor in objs["endpoint"]:
            rows += [(aor, c) for c in _aor_contacts(pbx, aor)]
    rows.sort(key=lambda r: r[1]["id"])
    if not rows:
        return ["No objects found.", ""]                     # 09-command
    out = ["", "  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>", "=" * 90,
           ""]
    for aor, c in rows:
        out.append("%9s:  %-46.46s %-10.10s %-7.7s %11s" % (
            "Contact", "%s/%s" % (aor, c["uri"]), hashlib.md5(c["uri"].encode()).hexdigest()[:10],
            CONTACT_STATUS_SHORT.get(c["status"], c["status"]), _rtt_ms(c)))
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
        # handle_cli_dialplan_reload(): pbx_load_module() directly - no "Reload" event, no new ast_lastreloadtime;
        # recorded for the control channel all the same
        pbx._record_reload("pbx_config.so", "Command", touch=False)
        pbx.load_dialplan()
        lines = ["Dialplan reloaded."]
    else:
        ok = False
        lines = ["No such command '%s' (type 'core show help %s' for other possible commands)"
                 % (cmd, find_best(words))]
    s.send_response_full(m, "Success" if ok else "Error", None, moredata=True)
    s.append("Message: Command output follows\r\n")
    for l in lines:
        s.append("Output: %s\r\n" % l)
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
        contacts = "".join("%s/%s," % (aor, c["uri"]) for aor in _endpoint_aors(ep, name)
                           for c in _aor_contacts(pbx, aor))
        s.append("Event: EndpointList\r\n%sObjectType: endpoint\r\nObjectName: %s\r\nTransport: %s\r\nAor: %s\r\n"
                 "Auths: %s\r\nOutboundAuths: %s\r\nContacts: %s\r\nDeviceState: %s\r\nActiveChannels: %s\r\n\r\n"
                 % (idt, name, ep.get("transport", ""), ep.get("aors", ""), ep.get("auth", ""),
                    ep.get("outbound_auth", ""), contacts, _device_state(pbx, name, ep), "0"))
    s.list_complete(m, "EndpointListComplete", len(eps))
    return 0


def _aor_fields(pbx, name, aor):
    """The fields of an AorList / AorDetail event (observed on 22.10.1).  DEVIATION: only max_contacts,
    qualify_frequency and contact come from the configuration; the other fields are the defaults."""
    contacts = ",".join("%s/%s" % (name, c["uri"]) for c in _aor_contacts(pbx, name))
    return ("ObjectType: aor\r\nObjectName: %s\r\nMinimumExpiration: 60\r\n"
            "DefaultExpiration: 3600\r\nQualifyTimeout: 3.000000\r\nQualify2xxOnly: false\r\nMailboxes: \r\n"
            "SupportPath: false\r\nRemoveUnavailable: false\r\nVoicemailExtension: \r\nMaxContacts: %d\r\n"
            "AuthenticateQualify: false\r\nContacts: %s\r\nMaximumExpiration: 7200\r\nQualifyFrequency: %d\r\n"
            "RemoveExisting: false\r\nOutboundProxy: \r\n"
            % (name, _scan_int(aor.get("max_contacts", "0")) or 0, contacts, _qualify_frequency(aor)))


@action("PJSIPShowAors", EVENT_FLAG_SYSTEM, "Lists PJSIP AORs.")
def action_pjsip_show_aors(s, m):
    """ami_show_aors() in res_pjsip: AorList per loaded aor, sorted by name; none: "No AORs found\\n" (observed on
    22.10.1, the stray LF as for contacts); Contacts lists registered and permanent contacts (12-trunks)."""
    pbx = s.pbx
    objs = pjsip_objects(pbx)
    aors = objs["aor"]
    if not aors:
        s.send_error(m, "No AORs found\n")
        return 0
    s.send_listack(m, "A listing of AORs follows, presented as AorList events", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    for name in sorted(aors):
        s.append("Event: AorList\r\n%s%s\r\n" % (idt, _aor_fields(pbx, name, aors[name])))
    s.list_complete(m, "AorListComplete", len(aors))
    return 0


@action("PJSIPShowAuths", EVENT_FLAG_SYSTEM, "Lists PJSIP Auths.")
def action_pjsip_show_auths(s, m):
    """ami_show_auths() in res_pjsip: AuthList per loaded auth, sorted by name, password in clear (observed on
    22.10.1); none: "No Auths found\\n"."""
    pbx = s.pbx
    objs = pjsip_objects(pbx)
    auths = objs["auth"]
    if not auths:
        s.send_error(m, "No Auths found\n")
        return 0
    s.send_listack(m, "A listing of Auths follows, presented as AuthList events", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    for name in sorted(auths):
        a = auths[name]
        s.append("Event: AuthList\r\n%s%s\r\n" % (idt, _auth_fields(name, a)))
    s.list_complete(m, "AuthListComplete", len(auths))
    return 0


def _auth_fields(name, a):
    """The fields of an AuthList / AuthDetail event (observed on 22.10.1, password in clear)."""
    return ("ObjectType: auth\r\nObjectName: %s\r\nOauthSecret: \r\nPasswordDigest: \r\n"
            "SupportedAlgorithmsUas: MD5\r\nRefreshToken: \r\nUsername: %s\r\nMd5Cred: \r\nRealm: \r\n"
            "AuthType: %s\r\nPassword: %s\r\nSupportedAlgorithmsUac: MD5\r\nNonceLifetime: 32\r\n"
            "OauthClientid: \r\n"
            % (name, a.get("username", ""), a.get("auth_type", "userpass"), a.get("password", "")))


# EndpointDetail of PJSIPShowEndpoint: every field in Asterisk's order with the value a trunk written by
# Centralita had (12-trunks, observed on 22.10.1); _endpoint_detail() puts the configured values in.
ENDPOINT_DETAIL_DEFAULTS = [
    ('ObjectName', 'trunk-acme'), ('RpidImmediate', 'false'), ('Webrtc', 'no'), ('Ignore183WithoutSdp', 'false'),
    ('SendAoc', 'false'), ('DeviceStateBusyAt', '0'), ('T38UdptlMaxdatagram', '0'),
    ('CodecPrefsIncomingAnswer', 'prefer:pending, operation:intersect, keep:all, transcode:allow'),
    ('SecurityNegotiation', 'no'), ('DtlsRekey', '0'), ('RtpPortEnd', '0'), ('NamedPickupGroup', ''),
    ('DirectMediaMethod', 'invite'), ('SendRpid', 'false'), ('PickupGroup', ''), ('SdpSession', 'Asterisk'),
    ('DtlsVerify', 'No'), ('MessageContext', ''), ('Tenantid', ''), ('Mailboxes', ''),
    ('RecordOnFeature', 'automixmon'), ('DtlsPrivateKey', ''), ('DtlsFingerprint', 'SHA-256'), ('OverlapContext', ''),
    ('OutgoingCallOfferPref', 'remote_merge'), ('RtpPortStart', '0'), ('FromDomain', ''),
    ('TimersSessExpires', '1800'), ('NamedCallGroup', ''), ('DtlsCipher', ''), ('MediaEncryptionOptimistic', 'false'),
    ('SuppressQ850ReasonHeaders', 'false'), ('Aors', 'trunk-acme'), ('IdentifyBy', 'username,ip'),
    ('CalleridPrivacy', 'allowed_not_screened'), ('MwiSubscribeReplacesUnsolicited', 'no'), ('CosAudio', '0'),
    ('FollowEarlyMediaFork', 'true'), ('Context', 'from-trunk'), ('RtpSymmetric', 'false'), ('Transport', ''),
    ('MohSuggest', 'default'), ('T38Udptl', 'false'), ('FaxDetect', 'false'), ('T38BindUdptlToMediaAddress', 'false'),
    ('TosVideo', '0'), ('SrtpTag32', 'false'), ('ReferBlindProgress', 'true'), ('MaxAudioStreams', '1'),
    ('Bundle', 'false'), ('UseAvpf', 'false'), ('CallGroup', ''), ('SendConnectedLine', 'yes'),
    ('FaxDetectTimeout', '0'), ('SdpOwner', '-'), ('ForceRport', 'true'), ('CalleridTag', ''),
    ('RtpTimeoutHold', '0'), ('SuppressMohOnSendonly', 'false'), ('UsePtime', 'false'), ('MediaAddress', ''),
    ('VoicemailExtension', ''), ('RtpTimeout', '0'), ('StirShaken', 'no'), ('SetVar', ''), ('ContactAcl', ''),
    ('PreferredCodecOnly', 'false'), ('GeolocOutgoingCallProfile', ''), ('ForceAvp', 'false'),
    ('RecordOffFeature', 'automixmon'), ('FromUser', ''), ('SendDiversion', 'true'), ('SendHistoryInfo', 'false'),
    ('T38UdptlIpv6', 'false'), ('ToneZone', ''), ('Language', ''), ('AllowSubscribe', 'true'), ('RtpIpv6', 'false'),
    ('Callerid', '<unknown>'), ('MohPassthrough', 'false'), ('CosVideo', '0'), ('DtlsAutoGenerateCert', 'No'),
    ('AsymmetricRtpCodec', 'false'), ('GeolocIncomingCallProfile', ''), ('IceSupport', 'false'),
    ('AggregateMwi', 'true'), ('OneTouchRecording', 'false'), ('MwiFromUser', ''), ('RedirectMethod', 'user'),
    ('Accountcode', ''),
    ('CodecPrefsOutgoingAnswer', 'prefer:pending, operation:intersect, keep:all, transcode:allow'),
    ('Allow', '(ulaw|alaw)'), ('RewriteContact', 'false'), ('UserEqPhone', 'false'), ('RtpEngine', 'asterisk'),
    ('FollowRedirectMethods', ''), ('SubscribeContext', ''), ('NotifyEarlyInuseRinging', 'false'),
    ('IncomingMwiMailbox', ''), ('IncomingCallOfferPref', 'local'), ('AllowUnauthenticatedOptions', 'false'),
    ('Auth', ''), ('DirectMediaGlareMitigation', 'none'), ('TrustIdInbound', 'false'), ('StirShakenProfile', ''),
    ('BindRtpToMediaAddress', 'false'), ('DisableDirectMediaOnNat', 'false'), ('MediaEncryption', 'no'),
    ('MediaUseReceivedTransport', 'false'), ('AllowOverlap', 'true'), ('DtmfMode', 'rfc4733'),
    ('OutboundAuth', 'trunk-acme-auth'), ('TosAudio', '0'), ('DtlsCertFile', ''), ('DtlsCaPath', ''),
    ('DtlsSetup', 'active'), ('ConnectedLineMethod', 'invite'), ('G726NonStandard', 'false'), ('100rel', 'yes'),
    ('Timers', 'yes'), ('DirectMedia', 'false'), ('Acl', ''), ('TimersMinSe', '90'), ('TrustIdOutbound', 'false'),
    ('SubMinExpiry', '0'), ('RtcpMux', 'false'), ('MaxVideoStreams', '1'), ('AcceptMultipleSdpAnswers', 'false'),
    ('CodecPrefsIncomingOffer', 'prefer:pending, operation:intersect, keep:all, transcode:allow'),
    ('CodecPrefsOutgoingOffer', 'prefer:pending, operation:union, keep:all, transcode:allow'),
    ('TrustConnectedLine', 'yes'), ('SendPai', 'false'), ('RtpKeepalive', '0'), ('T38UdptlEc', 'none'),
    ('T38UdptlNat', 'false'), ('AllowTransfer', 'true'), ('DtlsCaFile', ''), ('OutboundProxy', ''),
    ('InbandProgress', 'false'), ('DeviceState', 'Unavailable'), ('ActiveChannels', '0'),
]


def _bool_str(value, default):
    """How res_pjsip prints a bool option (OPT_BOOL_T with ast_true): "true"/"false"."""
    return "true" if (ast_true(value) if value is not None else default) else "false"


def _endpoint_detail(pbx, name, ep):
    """EndpointDetail fields.  DEVIATION: only these options are read from the configuration (the others show
    the defaults a Centralita trunk had): context, aors, auth, outbound_auth, transport, allow/disallow,
    direct_media, from_user, from_domain, callerid, dtmf_mode, language, mailboxes, message_context,
    accountcode, rtp_symmetric, force_rport, rewrite_contact, identify_by."""
    objs = pjsip_objects(pbx)
    codecs = objs["codecs"].get(name, [])
    conf = {
        "ObjectName": name, "Context": ep.get("context", "default"), "Aors": ep.get("aors", ""),
        "Auth": ep.get("auth", ""), "OutboundAuth": ep.get("outbound_auth", ""),
        "Transport": ep.get("transport", ""),
        "Allow": "(%s)" % ("|".join(codecs) if codecs else "nothing"),
        "DirectMedia": _bool_str(ep.get("direct_media"), True),
        "FromUser": ep.get("from_user", ""), "FromDomain": ep.get("from_domain", ""),
        "Callerid": ep.get("callerid", "<unknown>"), "DtmfMode": ep.get("dtmf_mode", "rfc4733"),
        "Language": ep.get("language", ""), "Mailboxes": ep.get("mailboxes", ""),
        "MessageContext": ep.get("message_context", ""), "Accountcode": ep.get("accountcode", ""),
        "RtpSymmetric": _bool_str(ep.get("rtp_symmetric"), False),
        "ForceRport": _bool_str(ep.get("force_rport"), True),
        "RewriteContact": _bool_str(ep.get("rewrite_contact"), False),
        "IdentifyBy": ep.get("identify_by", "username,ip"),
        "DeviceState": _device_state(pbx, name, ep), "ActiveChannels": "0",
    }
    return "ObjectType: endpoint\r\n" + "".join("%s: %s\r\n" % (k, conf.get(k, v))
                                                for k, v in ENDPOINT_DETAIL_DEFAULTS)


def _identify_match(value):
    """IdentifyDetail Match: an address without a mask gets /255.255.255.255 (observed).  DEVIATION: host names
    are shown as written (Asterisk resolves them)."""
    out = []
    for part in [x.strip() for x in value.split(",") if x.strip()]:
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", part):
            part += "/255.255.255.255"
        out.append(part)
    return ",".join(out)


@action("PJSIPShowEndpoint", EVENT_FLAG_SYSTEM, "Detail listing of an endpoint and its objects.")
def action_pjsip_show_endpoint(s, m):
    """ami_show_endpoint() in res_pjsip: EndpointDetail, AuthDetail per inbound then outbound auth, AorDetail
    per aor followed by a ContactStatusDetail per contact, TransportDetail, IdentifyDetail per identify naming
    the endpoint; each but the first ends with EndpointName; ListItems counts them all (12-trunks).  An unknown
    endpoint: "Unable to retrieve endpoint X\\n" (observed, stray LF).  DEVIATION: TransportDetail is not
    produced; registered contacts' ContactStatusDetail is modelled on the permanent ones'."""
    pbx = s.pbx
    name = m.get("Endpoint")
    if not name:
        s.send_error(m, "PJSIPShowEndpoint requires an endpoint name\n")
        return 0
    if name[:6].lower() == "pjsip/":
        name = name[6:]
    objs = pjsip_objects(pbx)
    ep = objs["endpoint"].get(name)
    if ep is None:
        s.send_error(m, "Unable to retrieve endpoint %s\n" % name)
        return 0
    s.send_listack(m, "Following are Events for each object associated with the Endpoint", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    end = "EndpointName: %s\r\n\r\n" % name
    s.append("Event: EndpointDetail\r\n%s%s\r\n" % (idt, _endpoint_detail(pbx, name, ep)))
    n = 1
    for key in ("auth", "outbound_auth"):
        for a in [x.strip() for x in ep.get(key, "").split(",") if x.strip()]:
            if a in objs["auth"]:
                s.append("Event: AuthDetail\r\n%s%s%s" % (idt, _auth_fields(a, objs["auth"][a]), end))
                n += 1
    for a in _endpoint_aors(ep, name):
        aor = objs["aor"].get(a)
        if aor is None:
            continue
        contacts = _aor_contacts(pbx, a)
        s.append("Event: AorDetail\r\n%s%sTotalContacts: %d\r\nContactsRegistered: %d\r\n%s"
                 % (idt, _aor_fields(pbx, a, aor), len(contacts), sum(1 for c in contacts if not c["static"]), end))
        n += 1
        for c in contacts:
            rtt = str(c["rtt_usec"]) if c.get("rtt_usec") is not None and c["status"] == "Reachable" else "N/A"
            s.append("Event: ContactStatusDetail\r\n%sAOR: %s\r\nURI: %s\r\nUserAgent: %s\r\nRegExpire: %s\r\n"
                     "Status: %s\r\nRoundtripUsec: %s\r\nEndpointName: %s\r\nID: %s\r\nAuthenticateQualify: 0\r\n"
                     "OutboundProxy: \r\nPath: \r\nQualifyFrequency: 0\r\nQualifyTimeout: 3.000\r\n"
                     "Qualify2xxOnly: 0\r\n\r\n"
                     % (idt, a, c["uri"], c.get("user_agent", "") if not c["static"] else "",
                        c.get("expiration_time", 0) if not c["static"] else 0, c["status"], rtt, name, c["id"]))
            n += 1
    for iname in sorted(objs["identify"]):
        ident = objs["identify"][iname]
        if ident.get("endpoint") != name:
            continue
        s.append("Event: IdentifyDetail\r\n%sObjectType: identify\r\nObjectName: %s\r\nMatch: %s\r\n"
                 "MatchRequestUri: \r\nSrvLookups: %s\r\nEndpoint: %s\r\nMatchHeader: \r\n%s"
                 % (idt, iname, _identify_match(ident.get("match", "")),
                    _bool_str(ident.get("srv_lookups"), True), name, end))
        n += 1
    s.list_complete(m, "EndpointDetailComplete", n)
    return 0


@action("ShowDialPlan", EVENT_FLAG_CONFIG | EVENT_FLAG_REPORTING, "Show dialplan contexts and extensions")
def action_showdialplan(s, m):
    """manager_show_dialplan() and manager_show_dialplan_helper() in pbx.c, on what pbx_config loaded (12-trunks):
    per context its priorities (ListDialplan: Context, Extension, ExtensionLabel if any, Priority, Application,
    AppData - a hint: "Priority: hint", its device as Application, no AppData), then its includes
    (ListDialplan: Context, IncludeContext, Registrar; counted in ListItems only).  With Extension, the
    extensions that MATCH it (patterns too) and, instead of listing the includes, the included contexts are
    searched the same way (each counted in ListContexts; a context already on the way is skipped).  The ack
    goes out before the first item, or before the Complete event when there is none (an empty context is a
    Success).  Errors: "Did not find context X", "Did not find extension E@X" / "... E in any context".
    DEVIATION: contexts come in file order when no Context is given."""
    pbx = s.pbx
    ctx_want = m.get("Context") or None
    ext_want = m.get("Extension") or None
    with pbx.lock:
        plan = pbx.loaded_dialplan
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    dpc = {"context_existence": False, "extension_existence": False, "total_context": 0, "total_exten": 0,
           "total_prio": 0, "total_items": 0}

    def item(text):
        if not dpc["total_items"]:
            s.send_listack(m, "DialPlan list will follow", "start")
        dpc["total_items"] += 1
        s.append(text)

    def helper(context, stack):
        for ctx, lines in list(plan.items()):
            if context and ctx != context:
                continue
            dpc["context_existence"] = True
            dpc["total_context"] += 1
            seen = []
            for ext, prio, app, data in lines:
                if ext_want and not ext_match(ext, ext_want):
                    continue
                if ext not in seen:
                    seen.append(ext)
                    dpc["extension_existence"] = True
                    dpc["total_exten"] += 1
                dpc["total_prio"] += 1
                label = plan.labels.get((ctx, ext, prio))
                text = "Event: ListDialplan\r\n%sContext: %s\r\nExtension: %s\r\n" % (idt, ctx, ext)
                if label:
                    text += "ExtensionLabel: %s\r\n" % label
                if prio == "hint":
                    text += "Priority: hint\r\nApplication: %s\r\n" % app
                else:
                    text += "Priority: %s\r\nApplication: %s\r\nAppData: %s\r\n" % (prio, app, data)
                item(text + "Registrar: pbx_config\r\n\r\n")
            for inc in plan.includes.get(ctx, []):
                if ext_want:
                    if len(stack) < 128 and not any(_ascii_lower(x) == _ascii_lower(inc) for x in stack):
                        helper(inc, stack + [inc])
                else:
                    item("Event: ListDialplan\r\n%sContext: %s\r\nIncludeContext: %s\r\nRegistrar: pbx_config\r\n"
                         "\r\n" % (idt, ctx, inc))

    helper(ctx_want, [])
    if ctx_want and not dpc["context_existence"]:
        s.send_error(m, "Did not find context %s" % ctx_want)
        return 0
    if ext_want and not dpc["extension_existence"]:
        s.send_error(m, "Did not find extension %s@%s" % (ext_want, ctx_want) if ctx_want
                     else "Did not find extension %s in any context" % ext_want)
        return 0
    if not dpc["total_items"]:
        s.send_listack(m, "DialPlan list will follow", "start")
    s.list_complete(m, "ShowDialPlanComplete", dpc["total_items"],
                    ["ListExtensions: %d\r\nListPriorities: %d\r\nListContexts: %d\r\n"
                     % (dpc["total_exten"], dpc["total_prio"], dpc["total_context"])])
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
    """ami_show_outbound_registrations() in res_pjsip_outbound_registration.c: per registration loaded at the last
    res_pjsip reload (sorted by name) an OutboundRegistrationDetail, then an AuthDetail per outbound_auth;
    ListItems counts the registrations only, then Registered / NotRegistered (10-lists, 12-trunks).  Status:
    "Unregistered" until control set_registration says what the registrar answered (on Asterisk: Registered
    after a 200, Rejected after a 403 and also ~40 s after a REGISTER nobody answered).  DEVIATION: NextReg is
    always 0 (observed so in every state); options other than those below show their defaults."""
    pbx = s.pbx
    objs = pjsip_objects(pbx)
    regs = objs["registration"]
    s.send_listack(m, "Following are Events for each Outbound registration", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    registered = 0
    for name in sorted(regs):
        r = regs[name]
        with pbx.lock:
            status = pbx.reg_status.get(name, "Unregistered")
        registered += status == "Registered"
        auths = [x.strip() for x in r.get("outbound_auth", "").split(",") if x.strip()]
        fields = [
            ("ObjectType", "registration"), ("ObjectName", name), ("MaxRetries", r.get("max_retries", "10")),
            ("ClientUri", r.get("client_uri", "")), ("SecurityNegotiation", r.get("security_negotiation", "no")),
            ("AuthRejectionPermanent", _bool_str(r.get("auth_rejection_permanent"), True)),
            ("ServerUri", r.get("server_uri", "")),
            ("MaxRandomInitialDelay", r.get("max_random_initial_delay", "10")),
            ("SupportPath", _bool_str(r.get("support_path"), False)),
            ("RetryInterval", r.get("retry_interval", "60")),
            ("ContactHeaderParams", r.get("contact_header_params", "")),
            ("Expiration", r.get("expiration", "3600")), ("Transport", r.get("transport", "")),
            ("Line", _bool_str(r.get("line"), False)), ("ContactUser", r.get("contact_user", "")),
            ("Endpoint", r.get("endpoint", "")), ("UserAgent", r.get("user_agent", "")),
            ("ForbiddenRetryInterval", r.get("forbidden_retry_interval", "0")),
            ("OutboundAuth", ",".join(auths)), ("OutboundProxy", r.get("outbound_proxy", "")),
            ("FatalRetryInterval", r.get("fatal_retry_interval", "0")),
            ("SupportOutbound", r.get("support_outbound", "no")), ("Status", status), ("NextReg", "0")]
        s.append("Event: OutboundRegistrationDetail\r\n%s%s\r\n"
                 % (idt, "".join("%s: %s\r\n" % kv for kv in fields)))
        for a in auths:
            if a in objs["auth"]:
                s.append("Event: AuthDetail\r\n%s%s\r\n" % (idt, _auth_fields(a, objs["auth"][a])))
    s.list_complete(m, "OutboundRegistrationDetailComplete", len(regs),
                    ["Registered: %d\r\nNotRegistered: %d\r\n" % (registered, len(regs) - registered)])
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


# The channel-state fields of ast_manager_build_channel_state_string(), in its order.
CHANNEL_STATE_FIELDS = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
                        "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten",
                        "Priority", "Uniqueid", "Linkedid")


@action("CoreShowChannels", EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING, "List currently active channels.")
def action_coreshowchannels(s, m):
    """action_coreshowchannels(): one CoreShowChannel per channel of the calls held in progress (control emit_call
    with hold), with the channel's state as its events left it, then Application, ApplicationData, Duration
    (HH:MM:SS, since the channel was created) and BridgeId, in the order the real Asterisk 22 sends them
    (13-coreshowchannels); none in progress: an empty list (10-lists)."""
    s.send_listack(m, "Channels will follow", "start")
    aid = m.get("ActionID")
    idt = "ActionID: %s\r\n" % aid if aid else ""
    with s.pbx.lock:
        chans = [dict(c) for call in s.pbx.calls_in_progress.values() for c in call["channels"].values()]
    now = time.time()
    for c in chans:
        d = int(now - c["created"])
        text = "Event: CoreShowChannel\r\n" + idt
        text += "".join("%s: %s\r\n" % (f, c.get(f, FIELD_DEFAULTS.get(f, ""))) for f in CHANNEL_STATE_FIELDS)
        # This order is Asterisk 22.10.1's, observed (tests/acceptance/test_calls.py compares them): BridgeId last.
        text += "Application: %s\r\nApplicationData: %s\r\nDuration: %02d:%02d:%02d\r\nBridgeId: %s\r\n\r\n" % (
            c["Application"], c["ApplicationData"], d // 3600, d // 60 % 60, d % 60, c.get("BridgeId", ""))
        s.append(text)
    if not chans:
        s.list_complete(m, "CoreShowChannelsComplete", 0, single=True)     # astman_send_list_complete()
    else:
        s.list_complete(m, "CoreShowChannelsComplete", len(chans))
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
        # __init_manager(): atoi(); a value below 1 is "Invalid ..., using default value"
        self.authtimeout = _atoi(self.general.get("authtimeout", "30"))
        if self.authtimeout < 1:
            self.authtimeout = 30
        self.authlimit = _atoi(self.general.get("authlimit", "50"))
        if self.authlimit < 1:
            self.authlimit = 50
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
        self.crash_save = None           # {"file": name|None, "fraction": f}: the next save dies midway
        self.module_status = {}          # control "module": a build with other modules (e.g. chan_sip, <= 20)
        self.reload_lock = threading.Lock()   # main/loader.c reloadlock: one module reload at a time
        self.reload_ms = 0               # how long each reload lasts (control reload_ms)
        self.loaded_pjsip = empty_pjsip()
        self.reg_status = {}             # registration name -> status word (control set_registration)
        self.contact_status = {}         # (aor, uri) of a static contact -> {"status", "rtt_usec"}
        self.loaded_dialplan = Dialplan()
        self.calls_in_progress = {}      # control emit_call with hold: id -> {"rest": events, "channels": {uid: fields}}
        self.call_seq = 0
        self.started = time.time()
        self.reloaded = self.started
        self.booting = False             # control restart with boot_ms: modules still loading (see restart)
        self.shutting_down = False       # control shutdown: "core stop now" under way
        self.reload_queue = []           # reloads asked for while booting (module names; None = every module)
        self.boot_gen = 0                # which restart the pending end of boot belongs to
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
        self.load_pjsip()                # what Asterisk loads at boot
        self.load_dialplan()
        if self.control_listener is not None:
            self.control_listener.open()
        self.start_listening()
        return self

    def load_pjsip(self):
        """res_pjsip's reload.  A registration whose settings did not change keeps its state, one that is new or
        changed starts again "Unregistered" (res_pjsip_outbound_registration.c: can_reuse_registration()); a
        static contact that is still there keeps its qualify status (observed: a second reload changed no
        DeviceState), a new one starts "NonQualified" (observed)."""
        objs = read_pjsip_objects(self)
        with self.lock:
            old = self.loaded_pjsip
            for name in list(self.reg_status):
                before, now = old["registration"].get(name), objs["registration"].get(name)
                if before is not None and before != now:
                    del self.reg_status[name]
            was = {(a, u) for a, uris in old["static"].items() for u in uris}
            now = {(a, u) for a, uris in objs["static"].items() for u in uris}
            for key in was - now:
                self.contact_status.pop(key, None)
            self.loaded_pjsip = objs

    def load_dialplan(self):
        plan = read_dialplan(self)
        with self.lock:
            self.loaded_dialplan = plan

    def start_listening(self):
        with self.lock:
            self.shutting_down = False
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

    def _claim_unauth(self, sess):
        """session_do(): ast_atomic_fetchadd_int(&unauth_sessions, +1) >= authlimit -> the connection is closed
        without a banner (after the TLS handshake: handle_tcptls_connection() runs first)."""
        with self.lock:
            if self.unauth >= self.authlimit:
                return False
            self.unauth += 1
            sess.counted_unauth = True
            return True

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
            return any(s is not me and s.authenticated and _ascii_lower(s.username) == _ascii_lower(username)
                       for s in self.sessions)

    def _crash(self, sess, why):
        """Where the real Asterisk would crash (SIGSEGV): no answer, nothing saved, every AMI connection drops.
        DEVIATION: the listeners stay up (Asterisk would be down until restarted).  Counted in counters.crashes."""
        sys.stderr.write("testpbx: Asterisk 22.10.1 would crash here: %s\n" % why)
        with self.lock:
            self.counters["crashes"] = self.counters.get("crashes", 0) + 1
        sess.out = []
        self.kill_sessions()
        return -1

    def kill_sessions(self):
        with self.lock:
            sessions = list(self.sessions)
        for s in sessions:
            s.kill()
        return len(sessions)

    def restart(self, boot_ms=0):
        """As after Asterisk was killed and started again: every AMI session gone, a new CoreStartupTime and
        reload time (CoreStatus; whole seconds, as Asterisk reports them), faults and delays cleared.
        Registered contacts are kept, as Asterisk keeps them in its astdb (ami.md).

        boot_ms > 0: the boot itself, as observed on 22.10.1 (AMI answers from the first moments, its modules
        load one by one): for boot_ms, res_pjsip has loaded the files but pbx_config not yet (ShowDialPlan:
        "Did not find context"), a Reload is only queued though answered "Module Reloaded", and a login gets no
        FullyBooted. Then the dialplan loads, the queued reloads run (ast_process_pending_reloads) and the
        sessions that may read system events get FullyBooted (publish_fully_booted)."""
        with self.lock:                  # a fresh boot: every registration and qualify starts again
            self.reg_status.clear()
            self.contact_status.clear()
            self.booting = boot_ms > 0
            self.reload_queue = []
            self.boot_gen += 1
            gen = self.boot_gen
        self.load_pjsip()                # a fresh boot loads what the files hold now
        if boot_ms > 0:
            with self.lock:
                self.loaded_dialplan = Dialplan()
            threading.Timer(boot_ms / 1000.0, self._boot_done, (gen,)).start()
        else:
            self.load_dialplan()
        with self.lock:
            self.started = self.reloaded = time.time()
            self.drop = None
            self.delay_ms = 0
            self.delay_action = None
            self.crash_save = None
            self.counters["restarts"] = self.counters.get("restarts", 0) + 1
        return self.kill_sessions()

    def _boot_done(self, gen):
        """The end of a boot (restart with boot_ms): pbx_config loads, the queued reloads run, FullyBooted."""
        with self.lock:
            if gen != self.boot_gen or not self.booting:
                return                   # restarted again meanwhile: that boot has its own end
        self.load_dialplan()
        with self.lock:
            self.booting = False
            queued, self.reload_queue = self.reload_queue, []
        for name in queued:
            module_reload(self, name, "boot")
        now = time.time()
        self.emit("FullyBooted", [("Status", "Fully Booted"), ("Uptime", str(int(now - self.started))),
                                  ("LastReload", str(int(now - self.reloaded)))], EVENT_FLAG_SYSTEM)

    def _crash_save_for(self, filename):
        """The pending crash_on_save for a save of filename (taken: one-shot), or None."""
        with self.lock:
            c = self.crash_save
            if c is None or (c.get("file") and c["file"] != filename):
                return None
            self.crash_save = None
            return c

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
                         "connections": 0, "reloads": [], "crashes": 0}

    def _count(self, key):
        with self.lock:
            self.counters[key] += 1

    def _count_action(self, name):
        with self.lock:
            self.counters["actions"][name] += 1

    def _record_reload(self, module, via, filename=None, status=0, touch=True):
        with self.lock:
            self.counters["reloads"].append({"module": module, "via": via, "file": filename, "status": status})
            if touch:
                self.reloaded = time.time()      # ast_lastreloadtime, set whatever the module

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
            if req.get("hold"):
                # Up to the call's answer (or, never answered, its ringing): the rest waits for end_call, and
                # CoreShowChannels lists its channels meanwhile.
                names = [n for n, _ in evs]
                cut = names.index("HangupRequest" if params.get("answered", True) else "DialEnd")
                head, rest = evs[:cut], evs[cut:]
                channels = collections.OrderedDict()
                for name, fields in head:
                    self.emit(name, fields)
                    _track_channels(channels, name, fields)
                with self.lock:
                    self.call_seq += 1
                    call_id = "call-%d" % self.call_seq
                    self.calls_in_progress[call_id] = {"rest": rest, "channels": channels}
                return {"ok": True, "events": len(head), "call": call_id}
            for name, fields in evs:
                self.emit(name, fields)
            return {"ok": True, "events": len(evs)}
        if cmd == "end_call":
            with self.lock:
                call = self.calls_in_progress.pop(req["call"])
            for name, fields in call["rest"]:
                self.emit(name, fields)
            return {"ok": True, "events": len(call["rest"])}
        if cmd == "cdr_flood_prepare":
            # For make bench (bench/bench_calls.py): n distinct Cdr events built now, sent by cdr_flood_send as
            # one write to each session that may see them, so that what is timed is the client's intake.
            n, start = int(req["n"]), int(req.get("start", 1_700_000_000))
            fmt = "%Y-%m-%d %H:%M:%S"
            parts = []
            for i in range(n):
                t = start + i * 7
                caller, callee = str(200 + i % 50), str(250 + i % 40)
                answered = i % 3 != 0
                fields = [("AccountCode", ""), ("Source", caller), ("Destination", callee),
                          ("DestinationContext", "from-internal"), ("CallerID", '"Bench" <%s>' % caller),
                          ("Channel", "PJSIP/%s-%08x" % (caller, 2 * i)),
                          ("DestinationChannel", "PJSIP/%s-%08x" % (callee, 2 * i + 1)),
                          ("LastApplication", "Dial"), ("LastData", "PJSIP/%s,30" % callee),
                          ("StartTime", time.strftime(fmt, time.gmtime(t))),
                          ("AnswerTime", time.strftime(fmt, time.gmtime(t + 2)) if answered else ""),
                          ("EndTime", time.strftime(fmt, time.gmtime(t + 40))), ("Duration", "40"),
                          ("BillableSeconds", "38" if answered else "0"),
                          ("Disposition", "ANSWERED" if answered else "NO ANSWER"), ("AMAFlags", "DOCUMENTATION"),
                          ("UniqueID", "%d.%d" % (t, i)), ("UserField", "")]
                category, text = build_event("Cdr", fields, self.timestampevents)
                parts.append(text.encode("utf-8"))   # encoded now: the send times the client, not Python
            with self.lock:
                self.flood = (category, parts)
            return {"ok": True, "bytes": sum(len(p) for p in parts)}
        if cmd == "cdr_flood_send":
            with self.lock:
                category, text = self.flood
                sessions = list(self.sessions)
            n = 0
            for sess in sessions:
                if sess.authenticated and (sess.readperm & category) == category and \
                        (sess.send_events & category) == category:
                    sess.queue_events(category, text)   # one write each, as Asterisk writes each event
                    n += 1
            return {"ok": True, "delivered": n}
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
        if cmd == "shutdown":
            # "core stop now" (observed on 22.10.1): the Shutdown event, then every action, Login included,
            # answered "Asterisk is shutting down" for a moment (ms), then every session ends and the port closes.
            with self.lock:
                self.shutting_down = True
            self.emit("Shutdown", [("Shutdown", "Cleanly"), ("Restart", "False")], EVENT_FLAG_SYSTEM)
            threading.Timer(int(req.get("ms", 200)) / 1000.0, lambda: self.stop_listening(kill=True)).start()
            return {"ok": True}
        if cmd == "stop_listening":
            n = self.stop_listening(kill=bool(req.get("kill", False)))
            return {"ok": True, "killed": n}
        if cmd == "start_listening":
            self.start_listening()
            return {"ok": True, "port": self.port, "tls_port": self.tls_port}
        if cmd == "kill_sessions":
            return {"ok": True, "killed": self.kill_sessions()}
        if cmd == "restart":
            return {"ok": True, "killed": self.restart(int(req.get("boot_ms", 0)))}
        if cmd == "reload_ms":
            with self.lock:
                self.reload_ms = int(req.get("ms", 0))
            return {"ok": True}
        if cmd == "module":
            # An Asterisk built with other modules: chan_sip.so (gone in 22) reloads on 20 and before.
            base = _ascii_lower(req["name"][:-3] if req["name"].endswith(".so") else req["name"])
            with self.lock:
                self.module_status[base] = int(req.get("status", 0))
            return {"ok": True}
        if cmd == "reload":
            # What "core reload" / "module reload X" on the CLI does (an integrator's reload).
            return {"ok": True, "status": module_reload(self, req.get("module"), "cli")}
        if cmd == "loaded":
            # What the modules run with (not what the files hold): res_pjsip's objects, pbx_config's dialplan.
            with self.lock:
                objs, plan = self.loaded_pjsip, self.loaded_dialplan
                return {"ok": True, "endpoint": objs["endpoint"], "aor": objs["aor"], "auth": objs["auth"],
                        "registration": objs["registration"], "identify": objs["identify"],
                        "registrations": {n: self.reg_status.get(n, "Unregistered")
                                          for n in objs["registration"]},
                        "dialplan": {c: [list(l) for l in lines] for c, lines in plan.items()}}
        if cmd == "unload":
            # As if a reload had been lost: the module forgets what it loaded of these names (a later reload
            # loads them again from the files).
            with self.lock:
                for t in ("endpoint", "aor", "auth"):
                    for n in req.get("names", []):
                        self.loaded_pjsip[t].pop(n, None)
                for ctx, lines in list(self.loaded_dialplan.items()):
                    self.loaded_dialplan[ctx] = [l for l in lines if l[0] not in req.get("extens", [])]
            return {"ok": True}
        if cmd == "truncate":
            # A crash or power cut while Asterisk rewrote the file in place (fopen "w" in
            # ast_config_text_file_save2): only its first `keep` bytes reached the disk.
            path = config_path(self, req["file"])
            with self._file_lock(path):
                with open(path, "r+b") as f:
                    f.truncate(int(req["keep"]))
            return {"ok": True}
        if cmd == "crash_on_save":
            # The next UpdateConfig of `file` (any file if absent) dies mid-save: the file keeps only the first
            # `fraction` of what was being written (as kill -9 during ast_config_text_file_save2 leaves it),
            # no answer is sent, and the PBX restarts (see restart).  One-shot.
            with self.lock:
                self.crash_save = {"file": req.get("file"), "fraction": float(req.get("fraction", 0.5))}
            return {"ok": True}
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
        if cmd == "set_registration":
            # What the registrar answered (res_pjsip_outbound_registration.c sip_outbound_registration_status_str):
            # "Registered" (200), "Rejected" (403, wrong credentials, or a temporary failure such as a server that
            # never answers: observed), "Unregistered" (not yet / trying), "Stopped".
            status = req.get("status", "Registered")
            if status not in REGISTRATION_STATUSES:
                return {"ok": False, "error": "status must be one of %s" % ", ".join(REGISTRATION_STATUSES)}
            with self.lock:
                self.reg_status[req["name"]] = status
            return {"ok": True}
        if cmd == "set_contact_status":
            # A qualify result for the static contacts of an aor (all of them, or the one whose uri is given):
            # "Reachable" (with rtt_usec), "Unreachable", "NonQualified" (not qualified yet), "Unknown".
            status = req.get("status", "Reachable")
            if status not in CONTACT_STATUSES:
                return {"ok": False, "error": "status must be one of %s" % ", ".join(CONTACT_STATUSES)}
            with self.lock:
                uris = [req["uri"]] if req.get("uri") else self.loaded_pjsip["static"].get(req["aor"], [])
                if not uris:
                    return {"ok": False, "error": "aor %r has no static contact loaded" % req["aor"]}
                for uri in uris:
                    self.contact_status[(req["aor"], uri)] = {"status": status,
                                                              "rtt_usec": req.get("rtt_usec")}
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
                        "connections": c["connections"], "reloads": list(c["reloads"]), "crashes": c["crashes"],
                        "restarts": c.get("restarts", 0),
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
                self.reg_status.clear()
                self.contact_status.clear()
                self.command_outputs.clear()
                self.crash_save = None
                self.reload_ms = 0
                self.calls_in_progress.clear()
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
