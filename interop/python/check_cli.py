#!/usr/bin/env python3
"""Interoperate with the `sealed-cookie` command-line tool on every named suite.

Usage: check_cli.py /path/to/sealed-cookie

A scratch keyring is made with `keyring init`; its key material is read both from
the TOML file and from `keyring export-env`. Then, for each of the 18 named suites
of SPEC.md section 3:

  python -> tool   a session value holding every type, sealed here in envelope
                   format 2 with flash messages under an application version and
                   opened by `open --suite-version V=NAME --idle-timeout`; sealed
                   here padded as a browser-session cookie under the table's
                   version, opened by `open --suite NAME`; and sealed here in
                   format 1, which the tool opens as needing re-issue (it writes
                   format 2);
  tool -> python   `seal --suite NAME` and `seal --suite V=NAME`, in format 2 (the
                   tool's default, with `--idle-timeout`) and with `--format 1`,
                   opened here.

Values are compared exactly (an integer is not a float, -0.0 is not 0.0), the
tool's plaintext must equal this implementation's canonical encoding (in format 2
after the 16-byte session id), every fact the tool reports must match the header
and the facts this implementation computes for the same cookie and settings
(format, session id, creation and seal times, idle / absolute / effective expiry
and which one ends the session, browser-session, flash messages, old key / suite /
format, renewal and re-issue), and the tool's Set-Cookie string must equal the one
section 11 describes. Prints one line per suite; exits 1 on any mismatch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sealed_cookie as sc  # noqa: E402

NOW = 1764165600  # 2025-11-26T14:00:00Z
MAX_AGE = 3600
IDLE = 1800  # idle timeout: a fresh cookie's Max-Age is the earlier limit, 1800
FLASH = {"notice": "Saved.", "n": 1, "list": [1.5, None, "\u00e9"]}
APP_VERSION_BASE = 100  # application versions 101..118 mapped onto the named suites
PAD = 16


def every_type_value() -> dict:
    """A session value holding every type and the boundaries of every encoding."""
    return {
        "null": None,
        "true": True,
        "false": False,
        "zero": 0,
        "small": 63,
        "int": 64,
        "negative": -1,
        "ints": [
            127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
            -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63),
        ],
        "float": 1.5,
        "floats": [
            0.0, -0.0, 3.0, 0.1, 1e15, 1e16, 1.5e16, 123456789.125, 1e21, 1e-5, 1.5e-5,
            1e-6, 1e-7, 0.0001, 2.5e-308, 5e-324, 1e300, 1.7976931348623157e308,
            -2.2250738585072014e-308, 9007199254740993.0, 0.30000000000000004,
        ],
        "empty": "",
        "escapes": "quote \" backslash \\ slash / newline \n tab \t cr \r bs \b ff \f nul \x00 us \x1f del \x7f",
        "unicode": "h\u00e9llo, \u4e16\u754c \U0001f389 \u2028\u2029 \ufeff",
        "str31": "x" * 31,
        "str32": "y" * 32,
        "str47": "z" * 47,
        "str48": "w" * 48,
        "str255": "v" * 255,
        "str256": "u" * 256,
        "list": [1, "two", [3.0], {}, []],
        "array15": list(range(15)),
        "array16": list(range(16)),
        "map15": {f"k{i:02d}": i for i in range(15)},
        "map16": {f"k{i:02d}": i for i in range(16)},
        "nested": {"a": {"b": [None]}},
        # 63 arrays inside the outer map: 64 levels, the deepest value allowed
        "deep": _nest(63),
        "records": [{"qty": 1, "sku": "A1"}, {"qty": 2, "sku": "B2"}],
        "records_nested": [
            {"id": 1, "tags": [{"k": "a"}, {"k": "b"}]},
            {"id": 2, "tags": [{"k": "c"}, {"k": "d"}]},
        ],
        "not_records": [{"a": 1}, {"b": 2}],
        "single_row": [{"a": 1}],
        "empty_maps": [{}, {}],
        "key order": {"b": 1, "a": 2, "\u00e9": 3, "Z": 4, "": 5, "aa": 6},
    }


def _nest(n: int):
    v = None
    for _ in range(n):
        v = [v]
    return v


class Tool:
    def __init__(self, exe: str, workdir: str) -> None:
        self.exe = exe
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SEALED_COOKIE_")}
        self.workdir = workdir

    def run(self, args: list, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess:
        p = subprocess.run(
            [self.exe, *args], input=stdin.encode("utf-8"), capture_output=True,
            env=self.env, cwd=self.workdir, timeout=120,
        )
        if check and p.returncode != 0:
            raise RuntimeError(
                f"`sealed-cookie {' '.join(args)}` exited {p.returncode}: {p.stderr.decode(errors='replace').strip()}"
            )
        return p


def check_header_facts(facts: dict, header: sc.Header, name: str, key_hex: str, problems: list, where: str,
                       needs_reissue: bool = False) -> None:
    """What the tool reports against what the header says."""
    want = {
        "format": header.format,
        "version": header.version,
        "key_id": key_hex,
        "issued_at": header.issued_at,
        "sealed_at": header.sealed_at,
        "lifetime": header.lifetime,
        "compressed": bool(header.flags & sc.FLAG_COMPRESSED),
        "padded": bool(header.flags & sc.FLAG_PADDED),
        "browser_session": bool(header.flags & sc.FLAG_BROWSER_SESSION),
        "suite": name,
        "needs_reissue": needs_reissue,
    }
    if header.format == 1:
        want["session_id"] = None
        want["idle_expires_at"] = None
    for k, v in want.items():
        if facts.get(k) != v:
            problems.append(f"{where}: facts {k} = {facts.get(k)!r}, header says {v!r}")


def check_py_facts(facts: dict, opened: sc.Opened, problems: list, where: str) -> None:
    """What the tool reports against what this implementation computes (every field)."""
    for k, v in opened.facts.to_json().items():
        if facts.get(k, "<absent>") != v:
            problems.append(f"{where}: facts {k} = {facts.get(k, '<absent>')!r}, python says {v!r}")
    theirs = facts.get("flash")
    if opened.flash:
        if theirs is None or not sc.values_equal(theirs, opened.flash):
            problems.append(f"{where}: facts flash = {theirs!r}, python says {opened.flash!r}")
    elif theirs is not None:
        problems.append(f"{where}: facts flash = {theirs!r}, python read none")


def opener(keyring: sc.Keyring, everything: list, name: str, version: int, **settings) -> sc.Codec:
    """A codec set as the tool's `open` is: every named suite, `name` current
    under `version` (mapped when not its table version)."""
    if version == sc.NAMED_SUITES[name][0]:
        suites = everything
    else:
        suites = [s for s in everything if s.version != version] + [sc.named_suite(name, version=version)]
    return sc.Codec(keyring, suites, version, **settings)


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    exe = os.path.abspath(argv[1])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="sealed-cookie-interop-") as tmp:
        tool = Tool(exe, tmp)
        ring = os.path.join(tmp, "ring.toml")

        # ---- keyring: made by the tool, read from the file and from export-env
        problems: list = []
        printed_id = tool.run(["keyring", "init", "--keyring", ring, "--now", str(NOW)]).stdout.decode().strip()
        from_file = sc.Keyring.from_file(ring)
        env_value = tool.run(["keyring", "export-env", "--keyring", ring]).stdout.decode().strip()
        from_env = sc.Keyring.from_env(env_value)
        if from_file.primary != from_env.primary:
            problems.append("keyring file and export-env disagree")
        if sc.key_id_hex(from_file.primary) != printed_id:
            problems.append(f"key id: tool printed {printed_id}, computed {sc.key_id_hex(from_file.primary)}")
        listed = tool.run(["keyring", "list", "--keyring", ring, "--json"]).stdout.decode()
        if printed_id not in listed:
            problems.append("keyring list does not show the key id")
        keyring = from_env
        key_hex = sc.key_id_hex(keyring.primary)
        failed += report("keyring", problems, f"key id {key_hex} from keyring init, file and export-env")

        # ---- the tool's table of suites against SPEC.md's
        problems = []
        listed_suites = json.loads(tool.run(["suites", "--json"]).stdout)
        got = {s["name"]: (s["version"], s["cipher"], s["serializer"], s["compressor"]) for s in listed_suites}
        if got != sc.NAMED_SUITES:
            problems.append(f"`suites --json` differs from SPEC.md's table: {got}")
        failed += report("suites", problems, f"{len(got)} named suites as in SPEC.md")

        value = every_type_value()
        value_json = sc.json_encode(value).decode("utf-8")
        everything = sc.all_named_suites()

        for i, name in enumerate(sc.NAMED_SUITES, start=1):
            problems = []
            table = sc.named_suite(name)
            app_v = APP_VERSION_BASE + i
            notes = []

            # -- python -> tool, format 2 with flash messages, under an application
            #    version mapped with --suite-version, with both timeouts
            try:
                codec = sc.Codec(keyring, [sc.named_suite(name, version=app_v)], app_v, max_age=MAX_AGE,
                                 idle_timeout=IDLE)
                sealed = codec.seal_session(value, NOW, flash=FLASH)
                cookie = sealed.value
                hdr = sc.decode_header(cookie)
                if hdr.format != 2 or sc.b64url_decode(cookie)[0] != app_v + 128:
                    problems.append(f"python seal: format {hdr.format}, first byte {sc.b64url_decode(cookie)[0]}")
                if not hdr.flags & sc.FLAG_FLASH:
                    problems.append("python seal with flash messages did not set flag 0x08")
                if table.compressor == "zstd" and not hdr.flags & sc.FLAG_COMPRESSED:
                    problems.append("python seal under zstd did not compress")
                p = tool.run(
                    ["open", "--keyring", ring, "--now", str(NOW + 5), "--max-age", str(MAX_AGE),
                     "--idle-timeout", str(IDLE), "--suite-version", f"{app_v}={name}", "--suite", name, "--facts"],
                    cookie, check=False,
                )
                if p.returncode != 0:
                    problems.append(f"tool open (v{app_v}) exited {p.returncode}: {p.stderr.decode().strip()}")
                else:
                    out = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)
                    if not sc.values_equal(out["value"], value):
                        problems.append(f"tool opened v{app_v} to another value")
                    facts = out["facts"]
                    check_header_facts(facts, hdr, name, key_hex, problems, f"tool open v{app_v}")
                    mine = opener(keyring, everything, name, app_v, max_age=MAX_AGE, idle_timeout=IDLE).open(
                        cookie, NOW + 5)
                    check_py_facts(facts, mine, problems, f"tool open v{app_v}")
                    if facts.get("session_id") != sealed.session_id.hex():
                        problems.append(f"tool open v{app_v}: session id {facts.get('session_id')}, sealed "
                                        f"{sealed.session_id.hex()}")
                    if (facts.get("ends_by"), facts.get("expires_at")) != ("idle", NOW + IDLE):
                        problems.append(f"tool open v{app_v}: ends by {facts.get('ends_by')} at "
                                        f"{facts.get('expires_at')}, want idle at {NOW + IDLE}")
                notes.append(f"py->tool v{app_v} f2 {len(cookie)}c flags 0x{hdr.flags:02x}")
            except Exception as e:
                problems.append(f"py->tool v{app_v}: {type(e).__name__}: {e}")

            # -- python -> tool, format 2, padded, a browser-session cookie, under the table's version
            try:
                codec = sc.Codec(keyring, [sc.named_suite(name, padding=PAD)], table.version, max_age=MAX_AGE)
                sealed = codec.seal_session(value, NOW, browser_session=True)
                cookie = sealed.value
                hdr = sc.decode_header(cookie)
                if hdr.flags & (sc.FLAG_PADDED | sc.FLAG_BROWSER_SESSION) != sc.FLAG_PADDED | sc.FLAG_BROWSER_SESSION:
                    problems.append(f"python padded browser-session seal: flags 0x{hdr.flags:02x}")
                p = tool.run(
                    ["open", "--keyring", ring, "--now", str(NOW + 5), "--suite", name, "--facts"],
                    cookie, check=False,
                )
                if p.returncode != 0:
                    problems.append(f"tool open (padded) exited {p.returncode}: {p.stderr.decode().strip()}")
                else:
                    out = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)
                    if not sc.values_equal(out["value"], value):
                        problems.append("tool opened the padded cookie to another value")
                    check_header_facts(out["facts"], hdr, name, key_hex, problems, "tool open padded")
                    mine = opener(keyring, everything, name, table.version).open(cookie, NOW + 5)
                    check_py_facts(out["facts"], mine, problems, "tool open padded")
                    # the authenticated plaintext the tool sees is ours: session id, then the value
                    p2 = tool.run(["open", "--keyring", ring, "--now", str(NOW + 5), "--plaintext", "hex"], cookie)
                    want_pt = sealed.session_id + sc.encode_value(table.serializer, value)
                    if p2.stdout.decode().strip() != want_pt.hex() or mine.plaintext != want_pt:
                        problems.append("tool --plaintext differs from the plaintext sealed")
                notes.append(f"py->tool v{table.version} padded flags 0x{hdr.flags:02x}")
            except Exception as e:
                problems.append(f"py->tool padded: {type(e).__name__}: {e}")

            # -- python -> tool, format 1: the tool opens it and asks for a re-issue (old format)
            try:
                codec = sc.Codec(keyring, [table], table.version, max_age=MAX_AGE, envelope_format=1)
                cookie = codec.seal(value, NOW)
                hdr = sc.decode_header(cookie)
                if hdr.format != 1 or sc.b64url_decode(cookie)[0] != table.version:
                    problems.append(f"python format 1 seal: format {hdr.format}")
                p = tool.run(
                    ["open", "--keyring", ring, "--now", str(NOW + 5), "--max-age", str(MAX_AGE),
                     "--idle-timeout", str(IDLE), "--suite", name, "--facts"],
                    cookie, check=False,
                )
                if p.returncode != 0:
                    problems.append(f"tool open (format 1) exited {p.returncode}: {p.stderr.decode().strip()}")
                else:
                    out = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)
                    if not sc.values_equal(out["value"], value):
                        problems.append("tool opened the format 1 cookie to another value")
                    check_header_facts(out["facts"], hdr, name, key_hex, problems, "tool open format 1",
                                       needs_reissue=True)
                    mine = opener(keyring, everything, name, table.version, max_age=MAX_AGE,
                                  idle_timeout=IDLE).open(cookie, NOW + 5)
                    check_py_facts(out["facts"], mine, problems, "tool open format 1")
                    if out["facts"].get("old_format") is not True:
                        problems.append("tool open format 1: old_format is not true")
                    p2 = tool.run(["open", "--keyring", ring, "--now", str(NOW + 5), "--plaintext", "hex"], cookie)
                    if p2.stdout.decode().strip() != sc.encode_value(table.serializer, value).hex():
                        problems.append("tool --plaintext of the format 1 cookie differs from the plaintext sealed")
                notes.append(f"py->tool v{table.version} f1 {len(cookie)}c")
            except Exception as e:
                problems.append(f"py->tool format 1: {type(e).__name__}: {e}")

            # -- tool -> python, under the table's version and under an application version,
            #    in format 2 (the tool's default) and in format 1
            tool_ids = []
            for spec, version in ((name, table.version), (f"{app_v}={name}", app_v)):
                for fmt in (2, 1):
                    where = f"tool seal {spec} format {fmt}"
                    try:
                        args = ["seal", "--keyring", ring, "--suite", spec, "--max-age", str(MAX_AGE),
                                "--idle-timeout", str(IDLE), "--now", str(NOW), "--set-cookie"]
                        if fmt == 1:
                            args += ["--format", "1"]
                        p = tool.run(args, value_json)
                        set_cookie = p.stdout.decode().strip()
                        prefix = "session="
                        if not set_cookie.startswith(prefix):
                            problems.append(f"{where}: Set-Cookie does not start with {prefix}")
                            continue
                        cookie = set_cookie[len(prefix):].split(";", 1)[0]
                        codec = opener(keyring, everything, name, version, max_age=MAX_AGE, idle_timeout=IDLE,
                                       envelope_format=fmt)
                        opened = codec.open(cookie, NOW + 5)
                        if not sc.values_equal(opened.value, value):
                            problems.append(f"python opened the {where} cookie to another value")
                        if opened.header.version != version:
                            problems.append(f"{where}: header version {opened.header.version}")
                        if opened.header.format != fmt:
                            problems.append(f"{where}: header format {opened.header.format}")
                        if sc.b64url_decode(cookie)[0] != (version if fmt == 1 else version + 128):
                            problems.append(f"{where}: first byte {sc.b64url_decode(cookie)[0]}")
                        if (opened.header.issued_at, opened.header.sealed_at) != (NOW, NOW):
                            problems.append(f"{where}: created {opened.header.issued_at}, sealed "
                                            f"{opened.header.sealed_at}")
                        if opened.header.lifetime != MAX_AGE:
                            problems.append(f"{where}: lifetime {opened.header.lifetime}")
                        if opened.needs_reissue:
                            problems.append(f"{where}: needs_reissue")
                        if (table.compressor == "zstd") != opened.compressed:
                            problems.append(f"{where}: compressed flag {opened.compressed}")
                        if opened.value_bytes != sc.encode_value(table.serializer, value):
                            problems.append(f"{where}: plaintext is not the canonical encoding")
                        if fmt == 2:
                            sid = opened.session_id
                            if sid is None or opened.plaintext != sid + opened.value_bytes:
                                problems.append(f"{where}: plaintext is not session id || value")
                            tool_ids.append(sid)
                            want_end = ("idle", NOW + IDLE)
                        else:
                            if opened.session_id is not None or opened.plaintext != opened.value_bytes:
                                problems.append(f"{where}: format 1 plaintext holds more than the value")
                            # a format 2 writer opens it as needing re-issue
                            later = opener(keyring, everything, name, version, max_age=MAX_AGE, idle_timeout=IDLE)
                            f2 = later.open(cookie, NOW + 5).facts
                            if not (f2.old_format and f2.needs_reissue):
                                problems.append(f"{where}: a format 2 writer does not ask for a re-issue")
                            want_end = ("absolute", NOW + MAX_AGE)
                        if (opened.facts.ends_by, opened.expiry) != want_end:
                            problems.append(f"{where}: ends by {opened.facts.ends_by} at {opened.expiry}, "
                                            f"want {want_end}")
                        want = codec.set_cookie(cookie, opened.header, NOW)
                        if set_cookie != want:
                            problems.append(f"{where}: Set-Cookie {set_cookie[-80:]!r} != {want[-80:]!r}")
                        notes.append(f"tool->py v{version} f{fmt} {len(cookie)}c flags 0x{opened.header.flags:02x}")
                    except Exception as e:
                        problems.append(f"tool->py {spec} format {fmt}: {type(e).__name__}: {e}")
            if len(set(tool_ids)) != len(tool_ids):
                problems.append("the tool's fresh seals share a session id")

            failed += report(f"{name} (v{table.version})", problems, "; ".join(notes))

    print(f"{18 + 2 - failed} passed, {failed} failed")
    return 1 if failed else 0


def report(label: str, problems: list, summary: str) -> int:
    if problems:
        print(f"{label}: FAIL {summary}")
        for p in problems:
            print(f"    {p}")
        return 1
    print(f"{label}: ok   {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
