#!/usr/bin/env python3
"""Edge cases of SPEC.md against the `sealed-cookie` tool, beyond the named-suite round trips.

Usage: check_edges.py /path/to/sealed-cookie

  readers   crafted plaintexts (non-canonical forms, limits, malformed ones) sealed
            here in envelope formats 2 and 1; the tool must reach the same verdict
            as this implementation: the same value, or "not a session value" (its
            exit 3) for both;
  prefix    format 2 plaintexts: the session id, the flash messages and their
            length, and the flags that announce them, well and badly formed;
  header    headers of both formats read alone (length, base64url, flags known to
            each format, the reserved first bytes 0 and 128, the age and its
            saturation), and `inspect --json` against this reader;
  writers   values at the records budget, the zstd threshold and cap, and the
            nesting limit, sealed by the tool: the plaintext must be this
            implementation's canonical encoding, and refusals must agree (format 1
            and format 2, whose threshold and cap count the session id);
  zstd      compressed payloads of every kind section 3 names, sealed here in
            both formats (format 2: over the session id and value): the
            tool's verdict equals this one where the specification says MUST
            (shown only, where an opener MAY refuse);
  opening   tool-sealed cookies of both formats opened at boundary times and
            settings (skew, max-age, idle timeout, not-before, renew-within,
            another current suite): the same rejection kind (expired, or idle /
            absolutely expired), or the same expiries, ending and needs-reissue;
  lifecycle cookies re-sealed here (renewal, browser-session, format 1 to 2 and
            back, flash messages) opened by the tool: session id and creation
            time kept, idle and absolute limits, revocation on the creation
            time, not-yet-valid on the seal time;
  rotation  keys added, promoted and retired by the tool; cookies sealed here with
            an accepted key, and re-issued here, opened by the tool;
  attributes  the tool's Set-Cookie strings for each attribute setting equal the
            ones section 11 describes, and the size budget is the same;
  lengths   the opener's length check counts bytes.

Prints one line per case; exits 1 on any divergence.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sealed_cookie as sc  # noqa: E402

NOW = 1764165600
BIG = 1 << 24


class Tool:
    def __init__(self, exe: str, workdir: str, ring: str) -> None:
        self.exe = exe
        self.ring = ring
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SEALED_COOKIE_")}

    def run(self, args: list, stdin: bytes | str = b"") -> subprocess.CompletedProcess:
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        return subprocess.run([self.exe, *args], input=stdin, capture_output=True, env=self.env,
                              cwd=self.workdir, timeout=120)

    def open(self, cookie: str, *extra: str) -> subprocess.CompletedProcess:
        return self.run(["open", "--keyring", self.ring, *extra], cookie)

    def seal(self, value_json: bytes | str, *extra: str) -> str:
        p = self.run(["seal", "--keyring", self.ring, *extra], value_json)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode(errors="replace").strip())
        return p.stdout.decode().strip()


def rejection_kind(p: subprocess.CompletedProcess) -> str:
    err = p.stderr.decode(errors="replace")
    if p.returncode == 2 and "rejected: " in err:
        return err.split("rejected: ", 1)[1].split(":", 1)[0].strip()
    if p.returncode == 3:
        return "deserialization_failed"
    return f"exit {p.returncode}"


SID = bytes(range(0xE0, 0xF0))  # a fixed session id for crafted format 2 plaintexts


def facts_of(p: subprocess.CompletedProcess) -> dict:
    return sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)["facts"] if p.returncode == 0 else {}


def same_facts(theirs: dict, mine: sc.Opened) -> list:
    """The fields where the tool's facts differ from this implementation's."""
    out = [f"{k} {theirs.get(k, '<absent>')!r} != {v!r}" for k, v in mine.facts.to_json().items()
           if theirs.get(k, "<absent>") != v]
    flash = theirs.get("flash")
    if (flash is None) != (not mine.flash) or (flash is not None and not sc.values_equal(flash, mine.flash)):
        out.append(f"flash {flash!r} != {mine.flash!r}")
    return out


class Report:
    def __init__(self) -> None:
        self.failed = 0
        self.passed = 0

    def line(self, section: str, label: str, ok: bool, detail: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{section}: {label}: {'ok  ' if ok else 'DIFFERS'} {detail}")


# ---------------------------------------------------------------- readers

PC, MP, JS = "xchacha-postcard", "xchacha-msgpack", "xchacha-json"
_v = sc._varint
READER_CASES = [
    (PC, "bool as tag 0x01", bytes.fromhex("0101")),
    (PC, "bool 0x01 with byte 0x02", bytes.fromhex("0102")),
    (PC, "small int as tag 0x02", bytes.fromhex("020a")),
    (PC, "small int as tag 0x03", bytes.fromhex("0305")),
    (PC, "non-shortest varint", bytes.fromhex("028000")),
    (PC, "10-byte varint, tenth 0x01", bytes.fromhex("03ffffffffffffffffff01")),
    (PC, "10-byte varint, tenth 0x02", bytes.fromhex("03ffffffffffffffffff02")),
    (PC, "11-byte varint", bytes.fromhex("038080808080808080808000")),
    (PC, "short string as tag 0x05", bytes.fromhex("050161")),
    (PC, "invalid UTF-8", bytes.fromhex("11ff")),
    (PC, "map keys out of order", bytes.fromhex("0702") + b"\x01b\x40\x01a\x41"),
    (PC, "map repeated key", bytes.fromhex("0702") + b"\x01a\x40\x01a\x41"),
    (PC, "array of like maps as 0x06", bytes.fromhex("0602") + bytes.fromhex("0701") + b"\x01a\x40" + bytes.fromhex("0701") + b"\x01a\x41"),
    (PC, "records, one row", bytes.fromhex("0a01") + b"\x01a" + b"\x01\x40"),
    (PC, "records keys descending", bytes.fromhex("0a02") + b"\x03sku\x03qty\x02" + b"\x12A1\x41\x12B2\x42"),
    (PC, "records keys repeated", bytes.fromhex("0a02") + b"\x01a\x01a\x01\x40\x41"),
    (PC, "records k = 0", bytes.fromhex("0a0002")),
    (PC, "records n = 0", bytes.fromhex("0a01") + b"\x01a\x00"),
    (PC, "records n*k over remaining", bytes.fromhex("0a01") + b"\x01a\x05\x40"),
    (PC, "records budget 40000", bytes.fromhex("0a01") + _v(40000) + b"k" * 40000 + b"\x01\x40"),
    (PC, "records budget 80000", bytes.fromhex("0a01") + _v(40000) + b"k" * 40000 + b"\x02\x40\x41"),
    (PC, "array count over remaining", bytes.fromhex("0603") + b"\x40\x40"),
    (PC, "map 2*count over remaining", bytes.fromhex("0702") + b"\x01a\x40"),
    (PC, "float NaN", bytes.fromhex("04000000000000f87f")),
    (PC, "float infinity", bytes.fromhex("04000000000000f07f")),
    (PC, "unknown tag 0x0b", bytes.fromhex("0b")),
    (PC, "unknown tag 0x80", bytes.fromhex("80")),
    (PC, "trailing byte", bytes.fromhex("4040")),
    (PC, "empty plaintext", b""),
    (PC, "64 nested arrays", b"\x06\x01" * 64 + b"\x00"),
    (PC, "65 nested arrays", b"\x06\x01" * 65 + b"\x00"),
    (PC, "62 arrays around a records form", b"\x06\x01" * 62 + bytes.fromhex("0a01") + b"\x01a\x02\x00\x00"),
    (PC, "63 arrays around a records form", b"\x06\x01" * 63 + bytes.fromhex("0a01") + b"\x01a\x02\x00\x00"),
    (PC, "bare map (no tag byte, pre-release form)", bytes.fromhex("01") + b"\x01a\x40"),
    (MP, "float 32", bytes.fromhex("91ca3fc00000")),
    (MP, "uint 8 for a fixint", bytes.fromhex("91cc05")),
    (MP, "int 64 for a small negative", bytes.fromhex("91d3ffffffffffffffff")),
    (MP, "str 8 for a short string", bytes.fromhex("d90161")),
    (MP, "array 16 for a short array", bytes.fromhex("dc0001c0")),
    (MP, "map keys out of order", bytes.fromhex("82a16201a16102")),
    (MP, "map repeated key", bytes.fromhex("82a16101a16102")),
    (MP, "map key not a str", bytes.fromhex("810102")),
    (MP, "bin", bytes.fromhex("91c40161")),
    (MP, "ext", bytes.fromhex("d40100")),
    (MP, "timestamp", bytes.fromhex("d6ff00000000")),
    (MP, "float 64 NaN", bytes.fromhex("cb7ff8000000000000")),
    (MP, "float 32 infinity", bytes.fromhex("ca7f800000")),
    (MP, "invalid UTF-8 str", bytes.fromhex("a1ff")),
    (MP, "trailing byte", bytes.fromhex("c0c0")),
    (MP, "tagged enum (vector 4 style)", bytes.fromhex("81a4426f6f6cc3")),
    (MP, "65 nested arrays", b"\x91" * 65 + b"\xc0"),
    (JS, "whitespace between tokens", b'{ "a" : [ 1 , 2 ] }'),
    (JS, "leading whitespace", b' \n{"a":1}'),
    (JS, "trailing whitespace", b'{"a":1} \r\n\t'),
    (JS, "byte-order mark", b'\xef\xbb\xbf{"a":1}'),
    (JS, "escapes of every form", b'["\\u0041\\/\\b\\f\\n\\r\\t\\"\\\\\\ud83c\\udf89"]'),
    (JS, "unpaired surrogate", b'["\\ud800"]'),
    (JS, "raw control character", b'["a\x01b"]'),
    (JS, "invalid UTF-8", b'["\xff"]'),
    (JS, "repeated key", b'{"a":1,"a":2}'),
    (JS, "repeated key through an escape", b'{"a":1,"\\u0061":2}'),
    (JS, "integer 2^64 - 1", b"[18446744073709551615]"),
    (JS, "integer 2^64", b"[18446744073709551616]"),
    (JS, "integer -2^63", b"[-9223372036854775808]"),
    (JS, "integer -2^63 - 1", b"[-9223372036854775809]"),
    (JS, "huge number with a fraction", b"[18446744073709551616.0]"),
    (JS, "exponent makes a float", b"[1E2]"),
    (JS, "float overflow", b"[1e400]"),
    (JS, "float underflow", b"[1e-400]"),
    (JS, "NaN", b"[NaN]"),
    (JS, "leading zero", b"[01]"),
    (JS, "integer literal -0", b"[-0]"),
    (JS, "top-level scalar", b"5"),
    (JS, "trailing garbage", b'{"a":1}x'),
    (JS, "64 nested arrays", b"[" * 64 + b"]" * 64),
    (JS, "65 nested arrays", b"[" * 65 + b"]" * 65),
]


def check_readers(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    for fmt in (2, 1):
        for suite_name, label, plaintext in READER_CASES:
            suite = sc.named_suite(suite_name)
            codec = sc.Codec(keyring, [suite], suite.version, budget=BIG, envelope_format=fmt)
            whole = SID + plaintext if fmt == 2 else plaintext
            cookie = codec.seal_plaintext(whole, NOW)
            try:
                mine = sc.decode_value(suite.serializer, plaintext)
                mine_s = sc.json_encode(mine).decode()
            except sc.DeserializeError as e:
                mine, mine_s = None, f"not a session value ({e})"
            # this opener reaches the same verdict through the envelope
            try:
                opened = codec.open(cookie, NOW)
                own_s = sc.json_encode(opened.value).decode()
                if opened.value_bytes != plaintext or opened.session_id != (SID if fmt == 2 else None):
                    own_s = "opens to another plaintext"
            except sc.OpenError as e:
                own_s = "not a session value" if e.kind == "deserialization_failed" else e.kind
            p = tool.open(cookie, "--now", str(NOW), "--budget", str(BIG))
            if p.returncode == 0:
                theirs = sc.json_decode(p.stdout.strip())
                theirs_s = sc.json_encode(theirs).decode()
                ok = mine_s == theirs_s
            else:
                theirs_s = f"not a session value (exit {p.returncode})" if p.returncode == 3 else rejection_kind(p)
                ok = p.returncode == 3 and mine_s.startswith("not a session value")
            own_ok = own_s == mine_s or (own_s == "not a session value" and mine_s.startswith(own_s))
            short = lambda s: s if len(s) <= 60 else s[:57] + "..."  # noqa: E731
            detail = f"python {short(mine_s)}" if ok else f"python {short(mine_s)}; tool {short(theirs_s)}"
            if not own_ok:
                detail += f"; python's opener {short(own_s)}"
            rep.line("readers", f"f{fmt} {suite.serializer} {label}", ok and own_ok, detail)


# ---------------------------------------------------------------- format 2 plaintext prefix


def _prefix_cases() -> list:
    enc = sc.encode_value
    v_pc = enc("postcard", {"a": 1})
    f_pc = enc("postcard", {"notice": "Saved."})
    L = lambda b: len(b).to_bytes(2, "big")  # noqa: E731
    F, B = sc.FLAG_FLASH, sc.FLAG_BROWSER_SESSION
    cases = [
        # (label, suite, whole plaintext, flags 0x04 / 0x08)
        ("session id and value", PC, SID + v_pc, 0),
        ("empty plaintext", PC, b"", 0),
        ("15 bytes", PC, SID[:15], 0),
        ("session id alone (empty value)", PC, SID, 0),
        ("flag 0x08, session id alone", PC, SID, F),
        ("flag 0x08, one length byte", PC, SID + b"\x00", F),
        ("flag 0x08, flash length 0", PC, SID + b"\x00\x00" + v_pc, F),
        ("flag 0x08, flash length past the end", PC, SID + (len(f_pc) + 1).to_bytes(2, "big") + f_pc, F),
        ("flag 0x08, flash to the end, empty value", PC, SID + L(f_pc) + f_pc, F),
        ("flag 0x08, flash not a map", PC, SID + L(enc("postcard", 5)) + enc("postcard", 5) + v_pc, F),
        ("flag 0x08, flash a list", PC, SID + L(enc("postcard", [1])) + enc("postcard", [1]) + v_pc, F),
        ("flag 0x08, flash with a trailing byte", PC, SID + L(f_pc + b"\x40") + f_pc + b"\x40" + v_pc, F),
        ("flag 0x08, flash is an empty map", PC, SID + L(enc("postcard", {})) + enc("postcard", {}) + v_pc, F),
        ("flag 0x08, flash map", PC, SID + L(f_pc) + f_pc + v_pc, F),
        ("flash written without flag 0x08", PC, SID + L(f_pc) + f_pc + v_pc, 0),
        ("flag 0x04 (browser-session)", PC, SID + v_pc, B),
        ("flags 0x04 and 0x08", PC, SID + L(f_pc) + f_pc + v_pc, B | F),
    ]
    for name in (MP, JS):
        ser = sc.named_suite(name).serializer
        v, f = enc(ser, {"a": 1}), enc(ser, {"notice": "Saved.", "n": [1, 2.5]})
        cases += [
            (f"{ser}: flag 0x08, flash map", name, SID + L(f) + f + v, F),
            (f"{ser}: flag 0x08, flash not a map", name, SID + L(enc(ser, "x")) + enc(ser, "x") + v, F),
            (f"{ser}: flag 0x08, flash length past the end", name, SID + (len(f) + 2).to_bytes(2, "big") + f, F),
        ]
    return cases


def _verdict_py(codec: sc.Codec, cookie: str, now: int) -> str:
    try:
        o = codec.open(cookie, now)
    except sc.OpenError as e:
        return e.kind
    return (f"opens {sc.json_encode(o.value).decode()}, flash {sc.json_encode(o.flash).decode() if o.flash else None}, "
            f"browser_session {str(o.facts.browser_session).lower()}, session id {o.session_id.hex() if o.session_id else None}")


def _verdict_tool(tool: Tool, cookie: str, now: int, *flags: str) -> str:
    p = tool.open(cookie, "--now", str(now), "--budget", str(BIG), "--facts", *flags)
    if p.returncode != 0:
        return rejection_kind(p)
    out = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)
    facts = out["facts"]
    flash = facts.get("flash")
    return (f"opens {sc.json_encode(out['value']).decode()}, flash {sc.json_encode(flash).decode() if flash else None}, "
            f"browser_session {str(facts['browser_session']).lower()}, session id {facts.get('session_id')}")


def check_prefix(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    for label, name, whole, flags in _prefix_cases():
        suite = sc.named_suite(name)
        codec = sc.Codec(keyring, sc.all_named_suites(), suite.version, budget=BIG)
        cookie = codec.seal_plaintext(whole, NOW, extra_flags=flags)
        mine, theirs = _verdict_py(codec, cookie, NOW), _verdict_tool(tool, cookie, NOW)
        rep.line("prefix", label, mine == theirs, mine if mine == theirs else f"python {mine}; tool {theirs}")
    # flash messages and a value compressed together, sealed by the high-level writer
    codec = sc.Codec(keyring, sc.all_named_suites(), 6, budget=BIG)
    sealed = codec.seal_session({"cart": ["item"] * 50}, NOW, flash={"notice": "compressed " * 10})
    flags = sc.decode_header(sealed.value).flags
    mine, theirs = _verdict_py(codec, sealed.value, NOW), _verdict_tool(tool, sealed.value, NOW)
    rep.line("prefix", f"flash and value compressed together (flags 0x{flags:02x})",
             mine == theirs and flags == sc.FLAG_FLASH | sc.FLAG_COMPRESSED,
             "same value and flash" if mine == theirs else f"python {mine}; tool {theirs}")


# ---------------------------------------------------------------- headers read alone


def check_headers(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    suite = sc.named_suite(PC)
    codec = sc.Codec(keyring, sc.all_named_suites(), 1, budget=BIG)
    kid = keyring.primary_id
    v_pc = sc.encode_value("postcard", {"a": 1})
    good2 = codec.seal({"a": 1}, NOW)
    good1 = sc.Codec(keyring, sc.all_named_suites(), 1, envelope_format=1).seal({"a": 1}, NOW)

    def crafted(header: sc.Header, plaintext: bytes) -> str:
        return codec._finish(suite, header, plaintext, NOW, None)

    cases = [
        ("format 2 as sealed", good2),
        ("format 1 as sealed", good1),
        ("format 1 header with flag 0x04", crafted(sc.Header(1, kid, 0x04, NOW, 0), v_pc)),
        ("format 1 header with flag 0x08", crafted(sc.Header(1, kid, 0x08, NOW, 0), v_pc)),
        ("format 2 header with flag 0x10", crafted(sc.Header(1, kid, 0x10, NOW, 0, 2, NOW), SID + v_pc)),
        ("format 2 header with flag 0x80", crafted(sc.Header(1, kid, 0x80, NOW, 0, 2, NOW), SID + v_pc)),
        ("first byte 128 (format 2, version 0)", crafted(sc.Header(0, kid, 0, NOW, 0, 2, NOW), SID + v_pc)),
        ("first byte 0 (format 1, version 0)", crafted(sc.Header(0, kid, 0, NOW, 0), v_pc)),
        ("first byte 255 (format 2, version 127)", crafted(sc.Header(127, kid, 0, NOW, 0, 2, NOW), SID + v_pc)),
        ("format 2 value of 31 characters", good2[:31]),
        ("format 2 value of 32 characters", good2[:32]),
        ("format 1 value of 23 characters", good1[:23]),
        ("format 1 value of 24 characters", good1[:24]),
        ("format 2, character 30 outside base64url", good2[:29] + "*" + good2[30:]),
        ("format 2, header and nonce, no tag", good2[:64]),
        ("format 2, age 2^32 - 1", crafted(sc.Header(1, kid, 0, NOW, 0, 2, NOW + sc.U32_MAX), SID + v_pc)),
        ("format 2, age 60 (the skew)", crafted(sc.Header(1, kid, 0, NOW, 0, 2, NOW + 60), SID + v_pc)),
        ("format 2, age 61", crafted(sc.Header(1, kid, 0, NOW, 0, 2, NOW + 61), SID + v_pc)),
        ("format 2, created near 2^64, age saturates",
         crafted(sc.Header(1, kid, 0, sc.U64_MAX - 10, 0, 2, sc.U64_MAX - 10 + 100), SID + v_pc)),
        ("format 2, lifetime from created, sealed later",
         crafted(sc.Header(1, kid, 0, NOW - 3000, 3600, 2, NOW - 100), SID + v_pc)),
        ("format 2, sealed after its lifetime ended",
         crafted(sc.Header(1, kid, 0, NOW - 3700, 3600, 2, NOW - 10), SID + v_pc)),
    ]
    for label, cookie in cases:
        mine, theirs = _verdict_py(codec, cookie, NOW), _verdict_tool(tool, cookie, NOW)
        rep.line("header", label, mine == theirs, mine if mine == theirs else f"python {mine}; tool {theirs}")

    # inspect --json: the header as the tool reads it without a key
    for label, cookie in (("format 2", good2), ("format 1", good1),
                          ("format 2, browser-session, flash, padded", sc.Codec(
                              keyring, [sc.named_suite(JS, padding=16)], 3, max_age=600).seal_session(
                              {"a": 1}, NOW - 5, browser_session=True, flash={"n": 1}).value)):
        p = tool.run(["inspect", "--json", "--now", str(NOW)], cookie)
        doc = sc.json_decode(p.stdout.strip()) if p.returncode == 0 else {}
        h = sc.decode_header(cookie)
        env = sc.b64url_decode(cookie)
        aead = codec.suites[h.version].aead
        want = {"format": h.format, "version": h.version, "key_id": f"{h.key_id:08x}", "flags": h.flags,
                "compressed": bool(h.flags & sc.FLAG_COMPRESSED), "padded": bool(h.flags & sc.FLAG_PADDED),
                "browser_session": bool(h.flags & sc.FLAG_BROWSER_SESSION), "issued_at": h.issued_at,
                "sealed_at": h.sealed_at, "lifetime": h.lifetime, "header_len": h.header_len,
                "total_len": len(env), "nonce_len": aead.nonce_len, "tag_len": aead.tag_len,
                "ciphertext_len": len(env) - h.header_len - aead.nonce_len - aead.tag_len,
                "text_len": len(cookie)}
        diff = [f"{k} {doc.get(k)!r} != {v!r}" for k, v in want.items() if doc.get(k) != v]
        rep.line("header", f"inspect --json, {label}", not diff,
                 "; ".join(diff) if diff else f"flags 0x{h.flags:02x}, {h.header_len}-byte header")


# ---------------------------------------------------------------- writers


def _nest(n: int, inner=None):
    for _ in range(n):
        inner = [inner]
    return inner


def _floats(n: int) -> list:
    """Deterministic binary64 values of every magnitude (random bit patterns)."""
    import random
    import struct

    rng = random.Random(20251126)
    out = []
    while len(out) < n:
        f = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if f == f and abs(f) != float("inf"):
            out.append(f)
    # and values near every switch between positional and exponent form
    out += [s * 10.0**e for e in range(-8, 24) for s in (1.0, 1.25, -9.999999999999999)]
    return out


F1, F2, BOTH = (1,), (2,), (1, 2)
WRITER_CASES = [
    # (suite, label, value, envelope formats)
    ("json", "floats of every magnitude", _floats(400), BOTH),
    ("msgpack", "floats of every magnitude", _floats(400), BOTH),
    ("postcard", "floats of every magnitude", _floats(400), BOTH),
    ("postcard", "records at exactly the budget", [{"k" * 32764: 1}, {"k" * 32764: 2}], BOTH),
    ("postcard", "records one byte over the budget", [{"k" * 32765: 1}, {"k" * 32765: 2}], BOTH),
    ("postcard", "records over the budget falls back to 0x06", [{"k" * 22000: i} for i in range(3)], BOTH),
    ("postcard", "budget spent by an earlier records form",
     [[{"a" * 20000: 1}] * 3, [{"b" * 3000: 1}] * 2, [{"c": 1}] * 2], BOTH),
    ("postcard", "declined outer form, inner records", [{"x" * 11000: [{"q": 1}, {"q": 2}]}] * 6, BOTH),
    ("postcard", "maps with different keys", [{"a": 1}, {"b": 1}], BOTH),
    ("postcard", "maps with the same keys in another order", [{"a": 1, "b": 2}, {"b": 3, "a": 4}], BOTH),
    ("postcard", "empty maps", [{}, {}], BOTH),
    ("postcard", "64 levels with a records form inside", _nest(62, [{"a": None}, {"a": None}]), BOTH),
    ("postcard", "65 levels with a records form inside", _nest(63, [{"a": None}, {"a": None}]), BOTH),
    ("json", "64 nested arrays", _nest(64), BOTH),
    ("json", "65 nested arrays", _nest(65), BOTH),
    ("msgpack", "64 nested arrays", _nest(64), BOTH),
    # the zstd threshold and cap count the whole plaintext: in format 2 the session id too
    ("json-zstd", "63-byte plaintext (below the threshold)", "x" * 61, F1),
    ("json-zstd", "64-byte plaintext (the threshold)", "x" * 62, F1),
    ("json-zstd", "65536-byte plaintext (the cap)", "x" * 65534, F1),
    ("json-zstd", "65537-byte plaintext (above the cap)", "x" * 65535, F1),
    ("json-zstd", "16 + 47-byte plaintext (below the threshold)", "x" * 45, F2),
    ("json-zstd", "16 + 48-byte plaintext (the threshold)", "x" * 46, F2),
    ("json-zstd", "16 + 61-byte plaintext (compressed only in format 2)", "x" * 59, F2),
    ("json-zstd", "16 + 65520-byte plaintext (the cap)", "x" * 65518, F2),
    ("json-zstd", "16 + 65521-byte plaintext (above the cap)", "x" * 65519, F2),
    # 62 distinct characters: no match for zstd, so the frame is not strictly shorter
    ("json-zstd", "64-byte plaintext zstd does not shorten",
     "".join(c for c in map(chr, range(0x23, 0x7f)) if c != "\\")[:62], F1),
    ("json-zstd", "16 + 48-byte plaintext zstd does not shorten",
     "".join(c for c in map(chr, range(0x23, 0x7f)) if c != "\\")[:46], F2),
]


def check_writers(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    for ser, label, value, formats in WRITER_CASES:
        for fmt in formats:
            codec = sc.Codec(keyring, sc.all_named_suites(), 1, budget=BIG, envelope_format=fmt)
            name = "xchacha-" + ser
            suite = sc.named_suite(name)
            tag = f"f{fmt} {ser} {label}"
            try:
                mine_pt = sc.encode_value(suite.serializer, value)
                mine_flags = sc.decode_header(
                    sc.Codec(keyring, [suite], suite.version, budget=BIG, envelope_format=fmt).seal(value, NOW)
                ).flags
            except sc.SerializeError as e:
                mine_pt, mine_flags = None, f"refused ({e})"
            # the tool reads its input JSON; write it without our depth check
            text = _raw_json(value)
            try:
                cookie = tool.seal(text, "--suite", name, "--now", str(NOW), "--budget", str(BIG), "--format", str(fmt))
            except RuntimeError as e:
                ok = mine_pt is None
                rep.line("writers", tag, ok, "both refuse" if ok else f"tool refuses ({e}); python seals")
                continue
            if mine_pt is None:
                rep.line("writers", tag, False, f"tool seals; python {mine_flags}")
                continue
            opened = codec.open(cookie, NOW)
            prefix_ok = (opened.header.format == fmt and
                         opened.plaintext == (opened.session_id or b"") + opened.value_bytes and
                         (opened.session_id is not None) == (fmt == 2))
            ok = (opened.value_bytes == mine_pt and opened.header.flags == mine_flags and prefix_ok
                  and sc.values_equal(opened.value, value))
            rep.line("writers", tag, ok,
                     f"{len(opened.plaintext)}-byte plaintext, flags 0x{opened.header.flags:02x} (python 0x{mine_flags:02x}), "
                     f"{'same bytes' if opened.value_bytes == mine_pt else 'other bytes'}"
                     + ("" if prefix_ok else f", format {opened.header.format} prefix wrong"))


def _raw_json(v) -> str:
    if isinstance(v, list):
        return "[" + ",".join(_raw_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(sc._json_str(k) + ":" + _raw_json(x) for k, x in sc._sorted_items(v)) + "}"
    return sc.json_encode(v).decode()


# ---------------------------------------------------------------- zstd opening


def _zstd(data: bytes, **kw) -> bytes:
    import zstandard

    params = dict(level=3, write_checksum=False, write_content_size=True, write_dict_id=False)
    params.update(kw)
    return zstandard.ZstdCompressor(**params).compress(data)


def check_zstd(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    pt = sc.json_encode({"z": "compressible " * 20})
    big = sc.json_encode("y" * 70000)
    skippable = (0x184D2A50).to_bytes(4, "little") + (4).to_bytes(4, "little") + b"\0\0\0\0"
    for fmt in (1, 2):
        # format 2 compresses the whole plaintext: the session id, then the value
        pre = SID if fmt == 2 else b""
        # (label, suite, payload with flag 0x01, must agree)
        cases = [
            ("conforming frame", "xchacha-json-zstd", _zstd(pre + pt), True),
            ("frame at level 19", "xchacha-json-zstd", _zstd(pre + pt, level=19), True),
            ("no content size", "xchacha-json-zstd", _zstd(pre + pt, write_content_size=False), True),
            ("content size above the cap", "xchacha-json-zstd", _zstd(pre + big), True),
            ("truncated frame", "xchacha-json-zstd", _zstd(pre + pt)[:-3], True),
            ("trailing garbage", "xchacha-json-zstd", _zstd(pre + pt) + b"\x01\x02", True),
            ("not a frame", "xchacha-json-zstd", b"\x00" * 40, True),
            ("flag 0x01 under compressor none", "xchacha-json", _zstd(pre + pt), True),
            # forms an opener MAY refuse (section 3): informative
            ("frame with a checksum (MAY)", "xchacha-json-zstd", _zstd(pre + pt, write_checksum=True), False),
            ("second, empty frame after the first (MAY)", "xchacha-json-zstd", _zstd(pre + pt) + _zstd(b""), False),
            ("skippable frame after the first (MAY)", "xchacha-json-zstd", _zstd(pre + pt) + skippable, False),
            ("leading skippable frame (MAY)", "xchacha-json-zstd", skippable + _zstd(pre + pt), False),
        ]
        if fmt == 2:
            cases += [
                ("frame of 15 bytes (shorter than a session id)", "xchacha-json-zstd", _zstd(SID[:15]), True),
                ("frame of the value alone (no session id)", "xchacha-json-zstd", _zstd(pt), True),
            ]
        for label, name, payload, must in cases:
            suite = sc.named_suite(name)
            codec = sc.Codec(keyring, [suite], suite.version, budget=BIG)
            header = sc.Header(suite.version, keyring.primary_id, sc.FLAG_COMPRESSED, NOW, 0, fmt, NOW)
            cookie = codec._finish(suite, header, payload, NOW, None)
            try:
                o = codec.open(cookie, NOW)
                mine = "opens" if sc.values_equal(o.value, sc.decode_value(suite.serializer, pt)) else "opens to another value"
            except sc.OpenError as e:
                mine = e.kind
            p = tool.open(cookie, "--now", str(NOW), "--budget", str(BIG))
            if p.returncode == 0:
                same = sc.values_equal(sc.json_decode(p.stdout.strip()), sc.decode_value(suite.serializer, pt))
                theirs = "opens" if same else "opens to another value"
            else:
                theirs = rejection_kind(p)
            if must:
                rep.line("zstd", f"f{fmt} {label}", mine == theirs, mine if mine == theirs else f"python {mine}; tool {theirs}")
            else:
                rep.line("zstd", f"f{fmt} {label}", True,
                         f"python {mine}; tool {theirs}" + ("" if mine == theirs else " (both allowed)"))


# ---------------------------------------------------------------- opening


def _open_verdict_py(codec_args: dict, cookie: str, now: int) -> str:
    settings = dict(codec_args)
    current = settings.pop("current", 1)
    try:
        codec = sc.Codec(sc_keyring[0], sc.all_named_suites(), current, **settings)
    except sc.ConfigError:
        return "refused (exit 1)"
    try:
        o = codec.open(cookie, now)
    except sc.OpenError as e:
        return e.kind
    f = o.facts
    return (f"opens, expiry {f.expires_at} by {f.ends_by} (idle {f.idle_expires_at}, absolute {f.absolute_expires_at}), "
            f"renewal_due {str(f.renewal_due).lower()}, needs_reissue {str(f.needs_reissue).lower()}")


def _open_verdict_tool(tool: Tool, cookie: str, now: int, flags: list) -> str:
    p = tool.open(cookie, "--now", str(now), "--facts", *flags)
    if p.returncode == 0:
        f = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)["facts"]
        return (f"opens, expiry {f.get('expires_at')} by {f.get('ends_by')} (idle {f.get('idle_expires_at')}, "
                f"absolute {f.get('absolute_expires_at')}), renewal_due {str(f['renewal_due']).lower()}, "
                f"needs_reissue {str(f['needs_reissue']).lower()}")
    if p.returncode == 1:
        return "refused (exit 1)"
    return rejection_kind(p)


sc_keyring: list = []  # the keyring the opening cases open with


def check_opening(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    sc_keyring[:] = [keyring]
    idle = ["--idle-timeout", "600"]
    cases = [
        # label, now offset, tool flags, codec settings
        ("renewal window reached", 3300, ["--renew-within", "600"], dict(renew_within=600)),
        ("one second before expiry, renewal", 3599, ["--renew-within", "600"], dict(renew_within=600)),
        ("at expiry, inside the skew", 3600, ["--renew-within", "600"], dict(renew_within=600)),
        ("last second of the skew", 3659, [], {}),
        ("end of the skew", 3660, [], {}),
        ("past expiry inside the skew, other suite current", 3630, ["--suite", "aes-gcm-json"], dict(current=9)),
        ("issued 60 s ahead", -60, [], {}),
        ("issued 61 s ahead", -61, [], {}),
        ("capped by a shorter max-age", 10, ["--max-age", "5"], dict(max_age=5)),
        ("capped, no skew", 10, ["--max-age", "5", "--clock-skew", "0s"], dict(max_age=5, clock_skew=0)),
        ("longer max-age does not extend", 3700, ["--max-age", "7200"], dict(max_age=7200)),
        ("revoked by not-before", 0, ["--not-before", str(NOW + 1)], dict(not_before=NOW + 1)),
        ("not-before equal to issued-at", 0, ["--not-before", str(NOW)], dict(not_before=NOW)),
        ("wrong cookie name", 0, ["--name", "other"], dict(cookie_name="other")),
        # the idle timeout (format 2; format 1 cookies have no idle expiry, only its window)
        ("idle 600: fresh", 10, idle, dict(idle_timeout=600)),
        ("idle 600: half the window left", 300, idle, dict(idle_timeout=600)),
        ("idle 600: renewal due", 301, idle, dict(idle_timeout=600)),
        ("idle 600: last second", 599, idle, dict(idle_timeout=600)),
        ("idle 600: at the idle expiry, inside the skew", 600, idle, dict(idle_timeout=600)),
        ("idle 600: last second of the skew", 659, idle, dict(idle_timeout=600)),
        ("idle 600: end of the skew", 660, idle, dict(idle_timeout=600)),
        ("idle 600, no skew: at the idle expiry", 600, idle + ["--clock-skew", "0s"], dict(idle_timeout=600, clock_skew=0)),
        ("idle 600, renew-within 200: 200 s left", 400, idle + ["--renew-within", "200"],
         dict(idle_timeout=600, renew_within=200)),
        ("idle 600, renew-within 200: 199 s left", 401, idle + ["--renew-within", "200"],
         dict(idle_timeout=600, renew_within=200)),
        ("idle 1800, past it, inside the absolute limit", 3000, ["--idle-timeout", "1800"], dict(idle_timeout=1800)),
        ("idle 3600 ties the absolute limit", 1801, ["--idle-timeout", "3600"], dict(idle_timeout=3600)),
        ("idle 3600 ties: end of the skew", 3660, ["--idle-timeout", "3600"], dict(idle_timeout=3600)),
        ("idle 7200 after the absolute limit", 3500, ["--idle-timeout", "7200"], dict(idle_timeout=7200)),
        ("idle and a shorter max-age", 400, idle + ["--max-age", "500"], dict(idle_timeout=600, max_age=500)),
        ("idle and a shorter max-age: end", 560, idle + ["--max-age", "500"], dict(idle_timeout=600, max_age=500)),
        ("idle and not-before", 100, idle + ["--not-before", str(NOW + 1)], dict(idle_timeout=600, not_before=NOW + 1)),
        ("renew-within as long as the idle timeout", 10, idle + ["--renew-within", "600"],
         dict(idle_timeout=600, renew_within=600)),
    ]
    no_age_cases = [
        ("no lifetime, no max-age, far future", 10**9, [], {}),
        ("no lifetime, max-age applies", 70, ["--max-age", "5"], dict(max_age=5)),
        ("no lifetime, idle 600: renewal due", 400, idle, dict(idle_timeout=600)),
        ("no lifetime, idle 600: end of the skew", 660, idle, dict(idle_timeout=600)),
        ("no lifetime, idle 600, far future", 10**9, idle, dict(idle_timeout=600)),
    ]
    for fmt in (2, 1):
        extra = ["--format", "1"] if fmt == 1 else []
        with_age = tool.seal('{"a":1}', "--max-age", "3600", "--now", str(NOW), *extra)
        no_age = tool.seal('{"a":1}', "--now", str(NOW), *extra)
        for cookie, group in ((with_age, cases), (no_age, no_age_cases)):
            for label, offset, flags, settings in group:
                now = NOW + offset
                mine = _open_verdict_py(settings, cookie, now)
                theirs = _open_verdict_tool(tool, cookie, now, flags)
                rep.line("opening", f"f{fmt} {label}", mine == theirs,
                         mine if mine == theirs else f"python {mine}; tool {theirs}")


# ---------------------------------------------------------------- lifecycle (re-seals here, opened by the tool)


def check_lifecycle(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    T = ["--max-age", "3600", "--idle-timeout", "1800"]
    codec = sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600, idle_timeout=1800)

    def both(label: str, cookie: str, now: int, flags: list, py: sc.Codec = codec, want: Optional[str] = None) -> None:
        p = tool.open(cookie, "--now", str(now), "--facts", *flags)
        try:
            mine = py.open(cookie, now)
        except sc.OpenError as e:
            mine = e.kind
        if isinstance(mine, str) or p.returncode != 0:
            theirs = rejection_kind(p) if p.returncode != 0 else "opens"
            ok = mine == theirs and (want is None or mine == want)
            rep.line("lifecycle", label, ok, mine if ok else f"python {mine if isinstance(mine, str) else 'opens'}; "
                     f"tool {theirs}" + (f"; want {want}" if want else ""))
            return
        diff = same_facts(facts_of(p), mine)
        f = mine.facts
        summary = (f"format {f.format}, created {f.issued_at - NOW:+}, sealed {f.sealed_at - NOW:+}, expiry "
                   f"{None if f.expires_at is None else f.expires_at - NOW:+} by {f.ends_by}, "
                   f"renewal_due {str(f.renewal_due).lower()}, needs_reissue {str(f.needs_reissue).lower()}")
        if want is not None and want != summary:
            diff.append(f"want {want}")
        rep.line("lifecycle", label, not diff, summary if not diff else "; ".join(diff) + f" ({summary})")

    # a session sealed by the tool, renewed here twice, until the absolute limit ends it
    first = tool.seal('{"user":"alice"}', "--max-age", "3600", "--idle-timeout", "1800", "--now", str(NOW))
    sid = codec.open(first, NOW).session_id
    both("tool seal, opened fresh", first, NOW + 10, T,
         want="format 2, created +0, sealed +0, expiry +1800 by idle, renewal_due false, needs_reissue false")
    o = codec.open(first, NOW + 1000)
    both("renewal due after half the idle timeout", first, NOW + 1000, T,
         want="format 2, created +0, sealed +0, expiry +1800 by idle, renewal_due true, needs_reissue true")
    renewed = codec.reseal(o, NOW + 1000)
    r = codec.open(renewed, NOW + 1001)
    rep.line("lifecycle", "re-sealed here: session id and creation time kept", r.session_id == sid
             and r.header.issued_at == NOW and r.header.sealed_at == NOW + 1000 and r.header.lifetime == 3600,
             f"session id {'kept' if r.session_id == sid else 'changed'}, created {r.header.issued_at - NOW:+}, "
             f"sealed {r.header.sealed_at - NOW:+}")
    both("renewed cookie, opened by the tool", renewed, NOW + 1001, T,
         want="format 2, created +0, sealed +1000, expiry +2800 by idle, renewal_due false, needs_reissue false")
    both("renewed cookie: not yet valid 61 s before its seal", renewed, NOW + 939, T, want="not_yet_valid")
    both("renewed cookie: valid 60 s before its seal", renewed, NOW + 940, T)
    both("renewed cookie: revoked on its creation time", renewed, NOW + 1001, T + ["--not-before", str(NOW + 500)],
         sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600, idle_timeout=1800, not_before=NOW + 500),
         want="revoked")
    o = codec.open(renewed, NOW + 2500)
    again = codec.reseal(o, NOW + 2500)
    both("renewed again: the absolute limit comes first, no renewal", again, NOW + 3000, T,
         want="format 2, created +0, sealed +2500, expiry +3600 by absolute, renewal_due false, needs_reissue false")
    both("renewed again: absolutely expired after the skew", again, NOW + 3660, T, want="absolutely_expired")
    both("first seal: idle-expired after the skew", first, NOW + 1860, T, want="idle_expired")
    try:
        codec.reseal(codec.open(again, NOW + 3630), NOW + 3630)
        mine = "re-seals"
    except sc.SealError as e:
        mine = e.kind
    rep.line("lifecycle", "re-seal inside the skew after the absolute limit", mine == "already_expired", mine)

    # a browser-session cookie stays one through re-seals, and is written without Max-Age
    bs = tool.seal('{"a":1}', "--max-age", "3600", "--browser-session", "--now", str(NOW))
    ob = codec.open(bs, NOW + 100)
    bs2 = codec.reseal(ob, NOW + 100)
    both("browser-session: tool seal", bs, NOW + 100, T)
    both("browser-session: kept by a re-seal here", bs2, NOW + 101, T)
    line = codec.set_cookie(bs2, sc.decode_header(bs2), NOW + 100)
    tool_line = tool.seal('{"a":1}', "--max-age", "3600", "--browser-session", "--set-cookie", "--now", str(NOW))
    rep.line("lifecycle", "browser-session: no Max-Age", "Max-Age" not in line and "Max-Age" not in tool_line
             and sc.decode_header(bs2).browser_session, line[line.index(";"):])

    # format 1 to format 2 and back
    f1 = tool.seal('{"a":1}', "--max-age", "3600", "--format", "1", "--now", str(NOW))
    both("format 1 cookie, opened by a format 2 writer", f1, NOW + 100, T,
         want="format 1, created +0, sealed +0, expiry +3600 by absolute, renewal_due false, needs_reissue true")
    up = codec.reseal(codec.open(f1, NOW + 100), NOW + 100)
    both("re-issued here in format 2: fresh session id, same creation time", up, NOW + 101, T,
         want="format 2, created +0, sealed +100, expiry +1900 by idle, renewal_due false, needs_reissue false")
    codec1 = sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600, idle_timeout=1800, envelope_format=1)
    kept = codec1.reseal(codec1.open(first, NOW + 100), NOW + 100)
    both("a format 2 session re-issued by a format 1 writer stays in format 2", kept, NOW + 101, T,
         want="format 2, created +0, sealed +100, expiry +1900 by idle, renewal_due false, needs_reissue false")
    both("format 1 cookie in its renewal window (half the idle timeout)", f1, NOW + 2701, T,
         want="format 1, created +0, sealed +0, expiry +3600 by absolute, renewal_due true, needs_reissue true")

    # format 1 has no idle expiry: a format 1 writer given only an idle timeout seals it as the lifetime
    idle_only = sc.Codec(keyring, sc.all_named_suites(), 1, idle_timeout=600, envelope_format=1)
    opener2 = sc.Codec(keyring, sc.all_named_suites(), 1, idle_timeout=600)
    tool_f1 = tool.seal('{"a":1}', "--idle-timeout", "600", "--format", "1", "--now", str(NOW))
    py_f1 = idle_only.seal({"a": 1}, NOW)
    lifetimes = (sc.decode_header(tool_f1).lifetime, sc.decode_header(py_f1).lifetime)
    rep.line("lifecycle", "format 1 writer with only an idle timeout: lifetime = idle", lifetimes == (600, 600),
             f"tool {lifetimes[0]}, python {lifetimes[1]}")
    for who, cookie in (("tool", tool_f1), ("python", py_f1)):
        both(f"format 1, idle timeout only, sealed by {who}", cookie, NOW + 100, ["--idle-timeout", "600"], opener2,
             want="format 1, created +0, sealed +0, expiry +600 by absolute, renewal_due false, needs_reissue true")
    re_f1 = idle_only.reseal(idle_only.open(py_f1, NOW + 500), NOW + 500)
    both("format 1, idle timeout only, re-issued: lifetime kept from sign-in", re_f1, NOW + 501,
         ["--idle-timeout", "600"], opener2,
         want="format 1, created +0, sealed +0, expiry +600 by absolute, renewal_due true, needs_reissue true")

    # flash messages: sealed here, shown by the tool, gone after a re-seal
    fl = codec.seal({"a": 1}, NOW, flash={"notice": "Signed in.", "level": 2})
    both("flash messages sealed here", fl, NOW + 1, T)
    fl2 = codec.reseal(codec.open(fl, NOW + 1), NOW + 1)
    both("flash messages dropped by a re-seal", fl2, NOW + 2, T)
    try:
        codec1.seal({"a": 1}, NOW, flash={"n": 1})
        mine = "seals"
    except sc.SealError as e:
        mine = e.kind
    rep.line("lifecycle", "format 1 writer refuses flash messages", mine == "flash", mine)


# ---------------------------------------------------------------- rotation


def check_rotation(tool: Tool, tmp: str, rep: Report) -> None:
    ring = os.path.join(tmp, "rotation.toml")
    t = Tool(tool.exe, tmp, ring)
    k1 = t.run(["keyring", "init", "--keyring", ring, "--now", str(NOW)]).stdout.decode().strip()
    k2 = t.run(["keyring", "add", "--keyring", ring, "--now", str(NOW)]).stdout.decode().strip()
    ring_py = sc.Keyring.from_file(ring)
    rep.line("rotation", "file: primary and accepted ids", [sc.key_id_hex(ring_py.primary)] +
             [sc.key_id_hex(k) for k in ring_py.accepted] == [k1, k2], f"{k1} primary, {k2} accepted")
    env = sc.Keyring.from_env(t.run(["keyring", "export-env", "--keyring", ring]).stdout.decode())
    rep.line("rotation", "export-env: primary first", env.primary == ring_py.primary and env.accepted == ring_py.accepted, "")

    # python seals with the accepted key: the tool opens it as needing re-issue
    accepted = ring_py.accepted[0]
    as_k2 = sc.Codec(sc.Keyring(accepted, [ring_py.primary]), sc.all_named_suites(), 1, max_age=3600)
    c = as_k2.seal({"user": "alice"}, NOW)
    p = t.open(c, "--now", str(NOW + 1), "--facts")
    facts = sc.json_decode(p.stdout.strip(), max_depth=65)["facts"] if p.returncode == 0 else {}
    rep.line("rotation", "sealed here with the accepted key", p.returncode == 0 and facts.get("old_key") is True
             and facts.get("needs_reissue") is True, f"tool: exit {p.returncode}, old_key {facts.get('old_key')}")

    # the tool seals under the old suite; python re-issues under the primary key and a new suite
    old = t.seal('{"user":"alice"}', "--max-age", "3600", "--now", str(NOW), "--suite", "xchacha-postcard")
    codec = sc.Codec(ring_py, sc.all_named_suites(), 12, max_age=1800)
    o = codec.open(old, NOW + 100)
    new = codec.reseal(o, NOW + 100)
    p = t.open(new, "--now", str(NOW + 101), "--suite", "aes-gcm-json-zstd", "--max-age", "1800", "--facts")
    facts = sc.json_decode(p.stdout.strip(), max_depth=65)["facts"] if p.returncode == 0 else {}
    ok = (p.returncode == 0 and facts.get("issued_at") == NOW and facts.get("lifetime") == 1800
          and facts.get("needs_reissue") is False and facts.get("version") == 12
          and facts.get("format") == 2 and facts.get("sealed_at") == NOW + 100
          and facts.get("session_id") == o.session_id.hex())
    rep.line("rotation", "re-issued here: same issued_at and session id, lifetime min(L, max_age)", ok,
             f"tool: issued_at {facts.get('issued_at')}, sealed_at {facts.get('sealed_at')}, lifetime "
             f"{facts.get('lifetime')}, version {facts.get('version')}, session id "
             f"{'kept' if facts.get('session_id') == o.session_id.hex() else facts.get('session_id')}")

    # promote k2; the tool seals with it, python (reading the file again) opens
    t.run(["keyring", "promote", k2, "--keyring", ring])
    c2 = t.seal('{"n":1}', "--now", str(NOW))
    ring2 = sc.Keyring.from_file(ring)
    o = sc.Codec(ring2, sc.all_named_suites(), 1).open(c2, NOW)
    rep.line("rotation", "after promote: tool seals with the new primary", o.key_id == int(k2, 16) and not o.needs_reissue,
             f"key {o.key_id:08x}")
    # retire k1: the tool rejects python's k1 cookies as unknown_key, and so does python
    t.run(["keyring", "retire", k1, "--keyring", ring])
    c1 = sc.Codec(sc.Keyring(ring_py.primary), sc.all_named_suites(), 1).seal({"n": 1}, NOW)
    p = t.open(c1, "--now", str(NOW))
    try:
        sc.Codec(sc.Keyring.from_file(ring), sc.all_named_suites(), 1).open(c1, NOW)
        mine = "opens"
    except sc.OpenError as e:
        mine = e.kind
    rep.line("rotation", "after retire: the old key's cookie", rejection_kind(p) == mine == "unknown_key",
             f"python {mine}; tool {rejection_kind(p)}")


# ---------------------------------------------------------------- attributes


_STD = ["--max-age", "3600", "--now", str(NOW)]
ATTRIBUTE_CASES = [
    # (label, tool flags, attributes, codec settings)
    ("defaults", _STD, sc.Attributes(), {}),
    ("no Path, a Domain", _STD + ["--no-path", "--domain", "example.com"], sc.Attributes(path=None, domain="example.com"), {}),
    ("other Path", _STD + ["--path", "/app"], sc.Attributes(path="/app"), {}),
    ("SameSite=Strict, no HttpOnly", _STD + ["--same-site", "strict", "--no-http-only"],
     sc.Attributes(same_site="Strict", http_only=False), {}),
    ("SameSite=None forces Secure", _STD + ["--same-site", "none", "--no-secure"],
     sc.Attributes(same_site="None", secure=False), {}),
    ("Partitioned forces Secure", _STD + ["--partitioned", "--no-secure"], sc.Attributes(partitioned=True, secure=False), {}),
    ("no SameSite, no Secure", _STD + ["--same-site", "off", "--no-secure"], sc.Attributes(same_site=None, secure=False), {}),
    ("Expires", _STD + ["--write-expires"], sc.Attributes(write_expires=True), {}),
    ("Expires after 9999", ["--write-expires", "--max-age", str(2**32 - 1), "--now", str(253402300799 - 10)],
     sc.Attributes(write_expires=True), {}),
    ("no lifetime: no Max-Age nor Expires", ["--write-expires", "--now", str(NOW)], sc.Attributes(write_expires=True), {}),
    ("idle timeout shorter: Max-Age and Expires from it", _STD + ["--idle-timeout", "600", "--write-expires"],
     sc.Attributes(write_expires=True), dict(idle_timeout=600)),
    ("idle timeout longer: Max-Age from the absolute", _STD + ["--idle-timeout", "7200"], sc.Attributes(),
     dict(idle_timeout=7200)),
    ("idle timeout, no lifetime", ["--idle-timeout", "900", "--now", str(NOW)], sc.Attributes(), dict(idle_timeout=900)),
    ("browser-session: no Max-Age nor Expires", _STD + ["--browser-session", "--write-expires", "--idle-timeout", "600"],
     sc.Attributes(write_expires=True), dict(idle_timeout=600)),
    ("format 1, defaults", _STD + ["--format", "1"], sc.Attributes(), {}),
    ("format 1 ignores the idle timeout", _STD + ["--format", "1", "--idle-timeout", "600", "--write-expires"],
     sc.Attributes(write_expires=True), dict(idle_timeout=600)),
]


def check_attributes(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    for label, args, attrs, settings in ATTRIBUTE_CASES:
        set_cookie = tool.seal('{"a":1}', "--set-cookie", *args)
        value = set_cookie.split("=", 1)[1].split(";", 1)[0]
        header = sc.decode_header(value)
        codec = sc.Codec(keyring, sc.all_named_suites(), 1, attributes=attrs, **settings)
        mine = codec.set_cookie(value, header, header.sealed_at)
        rep.line("attributes", label, mine == set_cookie,
                 f"f{header.format} " + mine[len("session=") + len(value):] if mine == set_cookie
                 else f"python {mine[-90:]!r}; tool {set_cookie[-90:]!r}")
    # the size budget: exactly the needed length seals, one byte less is too large
    value = {"a": "x" * 100}
    for label, flags, settings, options in (
        ("format 2", ["--idle-timeout", "600"], dict(idle_timeout=600), {}),
        ("format 2 browser-session (no Max-Age counted)", ["--browser-session"], {}, dict(browser_session=True)),
        ("format 1", ["--format", "1"], dict(envelope_format=1), {}),
    ):
        codec = sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600, **settings)
        cookie = codec.seal(value, NOW, **options)
        needed = len(codec.set_cookie(cookie, sc.decode_header(cookie), NOW))
        for budget in (needed, needed - 1):
            p = tool.run(["seal", "--keyring", tool.ring, "--max-age", "3600", "--now", str(NOW), "--budget", str(budget),
                          *flags], sc.json_encode(value))
            try:
                sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600, budget=budget, **settings).seal(
                    value, NOW, **options)
                mine = 0
            except sc.TooLarge:
                mine = 1
            rep.line("attributes", f"{label}: budget {budget} for a {needed}-byte Set-Cookie", p.returncode == mine,
                     f"{'seals' if mine == 0 else 'too large'}" + ("" if p.returncode == mine else f"; tool exit {p.returncode}"))


# ---------------------------------------------------------------- lengths


def check_lengths(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    codec = sc.Codec(keyring, sc.all_named_suites(), 1)
    for label, value in (("4097 ASCII bytes", "A" * 4097), ("2100 two-byte characters (4200 bytes)", "\u00e9" * 2100),
                         ("2000 two-byte characters (4000 bytes)", "\u00e9" * 2000)):
        try:
            codec.open(value, NOW)
            mine = "opens"
        except sc.OpenError as e:
            mine = e.kind
        theirs = rejection_kind(tool.open(value, "--now", str(NOW)))
        rep.line("lengths", label, mine == theirs, mine if mine == theirs else f"python {mine}; tool {theirs}")


def main(argv: list) -> int:
    if len(argv) != 2:
        print("usage: check_edges.py /path/to/sealed-cookie", file=sys.stderr)
        return 2
    exe = os.path.abspath(argv[1])
    rep = Report()
    with tempfile.TemporaryDirectory(prefix="sealed-cookie-edges-") as tmp:
        ring = os.path.join(tmp, "ring.toml")
        tool = Tool(exe, tmp, ring)
        p = tool.run(["keyring", "init", "--keyring", ring, "--now", str(NOW)])
        if p.returncode != 0:
            print(f"keyring init failed: {p.stderr.decode().strip()}")
            return 1
        keyring = sc.Keyring.from_file(ring)
        check_readers(tool, keyring, rep)
        check_prefix(tool, keyring, rep)
        check_headers(tool, keyring, rep)
        check_writers(tool, keyring, rep)
        check_zstd(tool, keyring, rep)
        check_opening(tool, keyring, rep)
        check_lifecycle(tool, keyring, rep)
        check_rotation(tool, tmp, rep)
        check_attributes(tool, keyring, rep)
        check_lengths(tool, keyring, rep)
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
