#!/usr/bin/env python3
"""Edge cases of SPEC.md against the `sealed-cookie` tool, beyond the named-suite round trips.

Usage: check_edges.py /path/to/sealed-cookie

  readers   crafted plaintexts (non-canonical forms, limits, malformed ones) sealed
            here; the tool must reach the same verdict as this implementation:
            the same value, or "not a session value" (its exit 3) for both;
  writers   values at the records budget, the zstd threshold and cap, and the
            nesting limit, sealed by the tool: the plaintext must be this
            implementation's canonical encoding, and refusals must agree;
  zstd      compressed payloads of every kind section 3 names, sealed here: the
            tool's verdict equals this one where the specification says MUST
            (shown only, where an opener MAY refuse);
  opening   a tool-sealed cookie opened at boundary times and settings (skew,
            max-age, not-before, renew-within, another current suite): the same
            rejection kind, or the same expiry and needs-reissue;
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
    for suite_name, label, plaintext in READER_CASES:
        suite = sc.named_suite(suite_name)
        codec = sc.Codec(keyring, [suite], suite.version, budget=BIG)
        cookie = codec.seal_plaintext(plaintext, NOW)
        try:
            mine = sc.decode_value(suite.serializer, plaintext)
            mine_s = sc.json_encode(mine).decode()
        except sc.DeserializeError as e:
            mine, mine_s = None, f"not a session value ({e})"
        p = tool.open(cookie, "--now", str(NOW), "--budget", str(BIG))
        if p.returncode == 0:
            theirs = sc.json_decode(p.stdout.strip())
            theirs_s = sc.json_encode(theirs).decode()
            ok = mine_s == theirs_s
        else:
            theirs_s = f"not a session value (exit {p.returncode})" if p.returncode == 3 else rejection_kind(p)
            ok = p.returncode == 3 and mine_s.startswith("not a session value")
        short = lambda s: s if len(s) <= 60 else s[:57] + "..."  # noqa: E731
        detail = f"python {short(mine_s)}" if ok else f"python {short(mine_s)}; tool {short(theirs_s)}"
        rep.line("readers", f"{suite.serializer} {label}", ok, detail)


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


WRITER_CASES = [
    ("json", "floats of every magnitude", _floats(400)),
    ("msgpack", "floats of every magnitude", _floats(400)),
    ("postcard", "floats of every magnitude", _floats(400)),
    ("postcard", "records at exactly the budget", [{"k" * 32764: 1}, {"k" * 32764: 2}]),
    ("postcard", "records one byte over the budget", [{"k" * 32765: 1}, {"k" * 32765: 2}]),
    ("postcard", "records over the budget falls back to 0x06", [{"k" * 22000: i} for i in range(3)]),
    ("postcard", "budget spent by an earlier records form",
     [[{"a" * 20000: 1}] * 3, [{"b" * 3000: 1}] * 2, [{"c": 1}] * 2]),
    ("postcard", "declined outer form, inner records", [{"x" * 11000: [{"q": 1}, {"q": 2}]}] * 6),
    ("postcard", "maps with different keys", [{"a": 1}, {"b": 1}]),
    ("postcard", "maps with the same keys in another order", [{"a": 1, "b": 2}, {"b": 3, "a": 4}]),
    ("postcard", "empty maps", [{}, {}]),
    ("postcard", "64 levels with a records form inside", _nest(62, [{"a": None}, {"a": None}])),
    ("postcard", "65 levels with a records form inside", _nest(63, [{"a": None}, {"a": None}])),
    ("json", "64 nested arrays", _nest(64)),
    ("json", "65 nested arrays", _nest(65)),
    ("msgpack", "64 nested arrays", _nest(64)),
    ("json-zstd", "63-byte plaintext (below the threshold)", "x" * 61),
    ("json-zstd", "64-byte plaintext (the threshold)", "x" * 62),
    ("json-zstd", "65536-byte plaintext (the cap)", "x" * 65534),
    ("json-zstd", "65537-byte plaintext (above the cap)", "x" * 65535),
    # 62 distinct characters: no match for zstd, so the frame is not strictly shorter
    ("json-zstd", "64-byte plaintext zstd does not shorten",
     "".join(c for c in map(chr, range(0x23, 0x7f)) if c != "\\")[:62]),
]


def check_writers(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    codec = sc.Codec(keyring, sc.all_named_suites(), 1, budget=BIG)
    for ser, label, value in WRITER_CASES:
        name = "xchacha-" + ser
        suite = sc.named_suite(name)
        try:
            mine_pt = sc.encode_value(suite.serializer, value)
            mine_flags = sc.Header.unpack(
                sc.b64url_decode(sc.Codec(keyring, [suite], suite.version, budget=BIG).seal(value, NOW))[:18]
            ).flags
        except sc.SerializeError as e:
            mine_pt, mine_flags = None, f"refused ({e})"
        # the tool reads its input JSON; write it without our depth check
        text = _raw_json(value)
        try:
            cookie = tool.seal(text, "--suite", name, "--now", str(NOW), "--budget", str(BIG))
        except RuntimeError as e:
            ok = mine_pt is None
            rep.line("writers", f"{suite.serializer} {label}", ok,
                     "both refuse" if ok else f"tool refuses ({e}); python seals")
            continue
        if mine_pt is None:
            rep.line("writers", f"{suite.serializer} {label}", False, f"tool seals; python {mine_flags}")
            continue
        opened = codec.open(cookie, NOW)
        ok = opened.plaintext == mine_pt and opened.header.flags == mine_flags and sc.values_equal(opened.value, value)
        rep.line("writers", f"{ser} {label}", ok,
                 f"{len(mine_pt)}-byte plaintext, flags 0x{opened.header.flags:02x} (python 0x{mine_flags:02x}), "
                 f"{'same bytes' if opened.plaintext == mine_pt else 'other bytes'}")


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
    # (label, suite, payload with flag 0x01, must agree)
    cases = [
        ("conforming frame", "xchacha-json-zstd", _zstd(pt), True),
        ("frame at level 19", "xchacha-json-zstd", _zstd(pt, level=19), True),
        ("no content size", "xchacha-json-zstd", _zstd(pt, write_content_size=False), True),
        ("content size above the cap", "xchacha-json-zstd", _zstd(big), True),
        ("truncated frame", "xchacha-json-zstd", _zstd(pt)[:-3], True),
        ("trailing garbage", "xchacha-json-zstd", _zstd(pt) + b"\x01\x02", True),
        ("not a frame", "xchacha-json-zstd", b"\x00" * 40, True),
        ("flag 0x01 under compressor none", "xchacha-json", _zstd(pt), True),
        # forms an opener MAY refuse (section 3): informative
        ("frame with a checksum (MAY)", "xchacha-json-zstd", _zstd(pt, write_checksum=True), False),
        ("second, empty frame after the first (MAY)", "xchacha-json-zstd", _zstd(pt) + _zstd(b""), False),
        ("skippable frame after the first (MAY)", "xchacha-json-zstd", _zstd(pt) + skippable, False),
        ("leading skippable frame (MAY)", "xchacha-json-zstd", skippable + _zstd(pt), False),
    ]
    for label, name, payload, must in cases:
        suite = sc.named_suite(name)
        codec = sc.Codec(keyring, [suite], suite.version, budget=BIG)
        header = sc.Header(suite.version, keyring.primary_id, sc.FLAG_COMPRESSED, NOW, 0)
        cookie = codec._finish(suite, header, payload, NOW, None)
        try:
            o = codec.open(cookie, NOW)
            mine = "opens" if sc.values_equal(o.value, sc.decode_value(suite.serializer, pt)) else "opens to another value"
        except sc.OpenError as e:
            mine = e.kind
        p = tool.open(cookie, "--now", str(NOW), "--budget", str(BIG))
        theirs = "opens" if p.returncode == 0 else rejection_kind(p)
        if must:
            rep.line("zstd", label, mine == theirs, mine if mine == theirs else f"python {mine}; tool {theirs}")
        else:
            rep.line("zstd", label, True, f"python {mine}; tool {theirs}" + ("" if mine == theirs else " (both allowed)"))


# ---------------------------------------------------------------- opening


def check_opening(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    with_age = tool.seal('{"a":1}', "--max-age", "3600", "--now", str(NOW))
    no_age = tool.seal('{"a":1}', "--now", str(NOW))
    cases = [
        # cookie, label, now, tool flags, codec settings
        (with_age, "renewal window reached", NOW + 3300, ["--renew-within", "600"], dict(renew_within=600)),
        (with_age, "one second before expiry, renewal", NOW + 3599, ["--renew-within", "600"], dict(renew_within=600)),
        (with_age, "at expiry, inside the skew", NOW + 3600, ["--renew-within", "600"], dict(renew_within=600)),
        (with_age, "last second of the skew", NOW + 3659, [], {}),
        (with_age, "end of the skew", NOW + 3660, [], {}),
        (with_age, "past expiry inside the skew, other suite current", NOW + 3630, ["--suite", "aes-gcm-json"],
         dict(current=9)),
        (with_age, "issued 60 s ahead", NOW - 60, [], {}),
        (with_age, "issued 61 s ahead", NOW - 61, [], {}),
        (with_age, "capped by a shorter max-age", NOW + 10, ["--max-age", "5"], dict(max_age=5)),
        (with_age, "capped, no skew", NOW + 10, ["--max-age", "5", "--clock-skew", "0s"], dict(max_age=5, clock_skew=0)),
        (with_age, "longer max-age does not extend", NOW + 3700, ["--max-age", "7200"], dict(max_age=7200)),
        (with_age, "revoked by not-before", NOW, ["--not-before", str(NOW + 1)], dict(not_before=NOW + 1)),
        (with_age, "not-before equal to issued-at", NOW, ["--not-before", str(NOW)], dict(not_before=NOW)),
        (no_age, "no lifetime, no max-age, far future", NOW + 10**9, [], {}),
        (no_age, "no lifetime, max-age applies", NOW + 70, ["--max-age", "5"], dict(max_age=5)),
        (with_age, "wrong cookie name", NOW, ["--name", "other"], dict(cookie_name="other")),
    ]
    for cookie, label, now, flags, settings in cases:
        settings = dict(settings)
        current = settings.pop("current", 1)
        codec = sc.Codec(keyring, sc.all_named_suites(), current, **settings)
        try:
            o = codec.open(cookie, now)
            mine = f"opens, expiry {o.expiry}, needs_reissue {str(o.needs_reissue).lower()}"
        except sc.OpenError as e:
            mine = e.kind
        p = tool.open(cookie, "--now", str(now), "--facts", *flags)
        if p.returncode == 0:
            facts = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)["facts"]
            theirs = f"opens, expiry {facts.get('expires_at')}, needs_reissue {str(facts['needs_reissue']).lower()}"
        else:
            theirs = rejection_kind(p)
        rep.line("opening", label, mine == theirs, mine if mine == theirs else f"python {mine}; tool {theirs}")


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
          and facts.get("needs_reissue") is False and facts.get("version") == 12)
    rep.line("rotation", "re-issued here: same issued_at, lifetime min(L, max_age)", ok,
             f"tool: issued_at {facts.get('issued_at')}, lifetime {facts.get('lifetime')}, version {facts.get('version')}")

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
    ("defaults", _STD, sc.Attributes()),
    ("no Path, a Domain", _STD + ["--no-path", "--domain", "example.com"], sc.Attributes(path=None, domain="example.com")),
    ("other Path", _STD + ["--path", "/app"], sc.Attributes(path="/app")),
    ("SameSite=Strict, no HttpOnly", _STD + ["--same-site", "strict", "--no-http-only"],
     sc.Attributes(same_site="Strict", http_only=False)),
    ("SameSite=None forces Secure", _STD + ["--same-site", "none", "--no-secure"],
     sc.Attributes(same_site="None", secure=False)),
    ("Partitioned forces Secure", _STD + ["--partitioned", "--no-secure"], sc.Attributes(partitioned=True, secure=False)),
    ("no SameSite, no Secure", _STD + ["--same-site", "off", "--no-secure"], sc.Attributes(same_site=None, secure=False)),
    ("Expires", _STD + ["--write-expires"], sc.Attributes(write_expires=True)),
    ("Expires after 9999", ["--write-expires", "--max-age", str(2**32 - 1), "--now", str(253402300799 - 10)],
     sc.Attributes(write_expires=True)),
    ("no lifetime: no Max-Age nor Expires", ["--write-expires", "--now", str(NOW)], sc.Attributes(write_expires=True)),
]


def check_attributes(tool: Tool, keyring: sc.Keyring, rep: Report) -> None:
    for label, args, attrs in ATTRIBUTE_CASES:
        set_cookie = tool.seal('{"a":1}', "--set-cookie", *args)
        value = set_cookie.split("=", 1)[1].split(";", 1)[0]
        header = sc.Header.unpack(sc.b64url_decode(value)[:18])
        codec = sc.Codec(keyring, sc.all_named_suites(), 1, attributes=attrs)
        mine = codec.set_cookie(value, header, header.issued_at)
        rep.line("attributes", label, mine == set_cookie,
                 mine[len("session=") + len(value):] if mine == set_cookie
                 else f"python {mine[-90:]!r}; tool {set_cookie[-90:]!r}")
    # the size budget: exactly the needed length seals, one byte less is too large
    value = {"a": "x" * 100}
    codec = sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600)
    needed = len(codec.set_cookie(codec.seal(value, NOW), sc.Header(1, 0, 0, NOW, 3600), NOW))
    for budget in (needed, needed - 1):
        p = tool.run(["seal", "--keyring", tool.ring, "--max-age", "3600", "--now", str(NOW), "--budget", str(budget)],
                     sc.json_encode(value))
        try:
            sc.Codec(keyring, sc.all_named_suites(), 1, max_age=3600, budget=budget).seal(value, NOW)
            mine = 0
        except sc.TooLarge:
            mine = 1
        rep.line("attributes", f"budget {budget} for a {needed}-byte Set-Cookie", p.returncode == mine,
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
        check_writers(tool, keyring, rep)
        check_zstd(tool, keyring, rep)
        check_opening(tool, keyring, rep)
        check_rotation(tool, tmp, rep)
        check_attributes(tool, keyring, rep)
        check_lengths(tool, keyring, rep)
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
