#!/usr/bin/env python3
"""Interoperate with the `sealed-cookie` command-line tool on every named suite.

Usage: check_cli.py /path/to/sealed-cookie

A scratch keyring is made with `keyring init`; its key material is read both from
the TOML file and from `keyring export-env`. Then, for each of the 18 named suites
of SPEC.md section 3:

  python -> tool   a session value holding every type, sealed here under an
                   application version and opened by `open --suite-version V=NAME`;
                   and sealed here padded under the table's version, opened by
                   `open --suite NAME`;
  tool -> python   `seal --suite NAME` and `seal --suite V=NAME`, opened here.

Values are compared exactly (an integer is not a float, -0.0 is not 0.0), the
tool's plaintext must equal this implementation's canonical encoding, the facts the
tool reports must match the header, and the tool's Set-Cookie string must equal
the one section 11 describes. Prints one line per suite; exits 1 on any mismatch.
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


def check_header_facts(facts: dict, header: sc.Header, name: str, key_hex: str, problems: list, where: str) -> None:
    want = {
        "version": header.version,
        "key_id": key_hex,
        "issued_at": header.issued_at,
        "lifetime": header.lifetime,
        "compressed": bool(header.flags & sc.FLAG_COMPRESSED),
        "padded": bool(header.flags & sc.FLAG_PADDED),
        "suite": name,
        "needs_reissue": False,
    }
    if header.lifetime:
        want["expires_at"] = header.issued_at + header.lifetime
    for k, v in want.items():
        if facts.get(k) != v:
            problems.append(f"{where}: facts {k} = {facts.get(k)!r}, header says {v!r}")


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

            # -- python -> tool, under an application version mapped with --suite-version
            try:
                codec = sc.Codec(keyring, [sc.named_suite(name, version=app_v)], app_v, max_age=MAX_AGE)
                cookie = codec.seal(value, NOW)
                hdr = sc.Header.unpack(sc.b64url_decode(cookie)[:18])
                if table.compressor == "zstd" and not hdr.flags & sc.FLAG_COMPRESSED:
                    problems.append("python seal under zstd did not compress")
                p = tool.run(
                    ["open", "--keyring", ring, "--now", str(NOW + 5), "--max-age", str(MAX_AGE),
                     "--suite-version", f"{app_v}={name}", "--suite", name, "--facts"],
                    cookie, check=False,
                )
                if p.returncode != 0:
                    problems.append(f"tool open (v{app_v}) exited {p.returncode}: {p.stderr.decode().strip()}")
                else:
                    out = sc.json_decode(p.stdout.strip(), max_depth=sc.MAX_DEPTH + 1)
                    if not sc.values_equal(out["value"], value):
                        problems.append(f"tool opened v{app_v} to another value")
                    check_header_facts(out["facts"], hdr, name, key_hex, problems, f"tool open v{app_v}")
                notes.append(f"py->tool v{app_v} {len(cookie)}c flags 0x{hdr.flags:02x}")
            except Exception as e:
                problems.append(f"py->tool v{app_v}: {type(e).__name__}: {e}")

            # -- python -> tool, padded, under the table's version
            try:
                codec = sc.Codec(keyring, [sc.named_suite(name, padding=PAD)], table.version, max_age=MAX_AGE)
                cookie = codec.seal(value, NOW)
                hdr = sc.Header.unpack(sc.b64url_decode(cookie)[:18])
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
                    # the authenticated plaintext the tool sees is ours
                    p2 = tool.run(["open", "--keyring", ring, "--now", str(NOW + 5), "--plaintext", "hex"], cookie)
                    if p2.stdout.decode().strip() != sc.encode_value(table.serializer, value).hex():
                        problems.append("tool --plaintext differs from the plaintext sealed")
                notes.append(f"py->tool v{table.version} padded flags 0x{hdr.flags:02x}")
            except Exception as e:
                problems.append(f"py->tool padded: {type(e).__name__}: {e}")

            # -- tool -> python, under the table's version and under an application version
            for spec, version in ((name, table.version), (f"{app_v}={name}", app_v)):
                try:
                    p = tool.run(
                        ["seal", "--keyring", ring, "--suite", spec, "--max-age", str(MAX_AGE), "--now", str(NOW),
                         "--set-cookie"],
                        value_json,
                    )
                    set_cookie = p.stdout.decode().strip()
                    prefix = "session="
                    if not set_cookie.startswith(prefix):
                        problems.append(f"tool seal {spec}: Set-Cookie does not start with {prefix}")
                        continue
                    cookie = set_cookie[len(prefix):].split(";", 1)[0]
                    if version == table.version:
                        suites = everything
                    else:
                        suites = [s for s in everything if s.version != version] + [sc.named_suite(name, version=version)]
                    codec = sc.Codec(keyring, suites, version, max_age=MAX_AGE)
                    opened = codec.open(cookie, NOW + 5)
                    if not sc.values_equal(opened.value, value):
                        problems.append(f"python opened the tool's {spec} cookie to another value")
                    if opened.header.version != version:
                        problems.append(f"tool seal {spec}: header version {opened.header.version}")
                    if opened.needs_reissue:
                        problems.append(f"tool seal {spec}: needs_reissue")
                    if (table.compressor == "zstd") != opened.compressed:
                        problems.append(f"tool seal {spec}: compressed flag {opened.compressed}")
                    if opened.plaintext != sc.encode_value(table.serializer, value):
                        problems.append(f"tool seal {spec}: plaintext is not the canonical encoding")
                    want = codec.set_cookie(cookie, opened.header, NOW)
                    if set_cookie != want:
                        problems.append(f"tool seal {spec}: Set-Cookie {set_cookie[-80:]!r} != {want[-80:]!r}")
                    notes.append(f"tool->py v{version} {len(cookie)}c flags 0x{opened.header.flags:02x}")
                except Exception as e:
                    problems.append(f"tool->py {spec}: {type(e).__name__}: {e}")

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
