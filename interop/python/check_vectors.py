#!/usr/bin/env python3
"""Reproduce every frozen vector of tests/vectors/v1.json byte for byte (SPEC.md 9.1),
and those of tests/vectors/v2.json (envelope format 2) when that file exists.

Usage: check_vectors.py [V1_JSON [V2_JSON]]   (default: ../../tests/vectors/v1.json
and the v2.json beside it; a missing v2.json is skipped)

Format 1:
For each vector: key_id and subkey from the key; the plaintext read as a session
value equals `value` (for payload "value"), and from vector 6 on the canonical
encoding of `value` is `plaintext_hex`; the envelope and cookie are reproduced by
sealing `plaintext_hex` with the nonce at `issued_at` (a compressed payload is
taken from the envelope's own AEAD decryption, not recompressed); the cookie opens
back at `issued_at` to the same plaintext and value.

Format 2: the header (first byte = version + 128, created_at = `issued_at`,
`sealed_at`, lifetime, flags) says what the vector lists; the plaintext is
session id || [flash length || flash] || value, each the canonical encoding of the
listed inputs; the cookie is reproduced byte for byte as the crate makes it (a fresh
session sealed at `issued_at` with the listed session id and nonce, opened at
`sealed_at` and re-sealed there with the flash messages and browser-session mark),
opens at `sealed_at` to the value, flash and facts listed, and ends by its idle or
absolute timeout with the right rejection.

Prints one line per vector; exits 1 on any mismatch.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sealed_cookie as sc  # noqa: E402

DEFAULT_VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "vectors", "v1.json")
V1_COUNT = 11


def check(index: int, v: dict) -> list:
    problems: list = []

    def expect(what: str, got, want) -> None:
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    key = sc.b64url_decode(v["key"])
    suite = sc.Suite(v["version"], v["cipher"], v["serializer"], v["compressor"], v["padding"])
    aead = suite.aead
    expect("key_id", sc.key_id_hex(key), v["key_id"])
    expect("subkey", aead.subkey(key).hex(), v["subkey_hex"])

    plaintext = bytes.fromhex(v["plaintext_hex"])
    payload_kind = v.get("payload", "value")
    if payload_kind == "value":
        try:
            read = sc.decode_value(v["serializer"], plaintext)
        except sc.DeserializeError as e:
            problems.append(f"plaintext does not read as a session value: {e}")
        else:
            if not sc.values_equal(read, v["value"]):
                problems.append("plaintext reads as another value than `value`")
        if index >= 6:
            expect("canonical encoding", sc.encode_value(v["serializer"], v["value"]).hex(), v["plaintext_hex"])
    else:
        # "typed": an application's own bytes; it may or may not read as a session
        # value, but never as `value` itself.
        try:
            read = sc.decode_value(v["serializer"], plaintext)
            if sc.values_equal(read, v["value"]):
                problems.append("typed plaintext reads as `value`")
        except sc.DeserializeError:
            pass

    envelope = bytes.fromhex(v["envelope_hex"])
    expect("cookie is base64url(envelope)", sc.b64url_encode(envelope), v["cookie"])
    expect("first byte is the suite version (format 1)", envelope[0], v["version"])
    header = sc.Header.unpack(envelope[:18])
    now = v["issued_at"]
    lifetime = v["lifetime"]
    codec = sc.Codec(
        sc.Keyring(key),
        [suite],
        current=suite.version,
        cookie_name=v["cookie_name"],
        max_age=lifetime or None,
        budget=1 << 24,
        envelope_format=1,
    )

    compressed_payload = None
    own_compression = ""
    if header.flags & sc.FLAG_COMPRESSED:
        raw = sc.decrypt_envelope(envelope, key, suite, v["cookie_name"])
        if header.flags & sc.FLAG_PADDED:
            raw = sc.unpad(raw)
        compressed_payload = raw
        expect("frozen compressed payload decompresses to plaintext",
               sc.zstd_decompress(raw, sc.DEFAULT_DECOMPRESSION_CAP).hex(), v["plaintext_hex"])
        mine = sc.zstd_compress(plaintext, suite.level)
        own_compression = (
            "; own zstd output identical" if mine == raw else f"; own zstd output differs ({len(mine)} vs {len(raw)} bytes)"
        )

    cookie = codec.seal_plaintext(
        plaintext, now, nonce=bytes.fromhex(v["nonce_hex"]), compressed_payload=compressed_payload
    )
    expect("envelope", sc.b64url_decode(cookie).hex(), v["envelope_hex"])
    expect("cookie", cookie, v["cookie"])

    try:
        pt, hdr, _, _ = codec.open_plaintext(v["cookie"], now)
        expect("opened plaintext", pt.hex(), v["plaintext_hex"])
        if payload_kind == "value":
            opened = codec.open(v["cookie"], now)
            if not sc.values_equal(opened.value, v["value"]):
                problems.append("opened value differs from `value`")
    except sc.OpenError as e:
        problems.append(f"open failed: {e}")

    return problems, (
        f"{v['cipher']}+{v['serializer']}+{v['compressor']} pad {v['padding']} "
        f"flags 0x{header.flags:02x}, {payload_kind}, {len(v['cookie'])} chars{own_compression}"
    )


def check_2(index: int, v: dict) -> tuple:
    """A format 2 vector: see the module's docstring."""
    problems: list = []

    def expect(what: str, got, want) -> None:
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    expect("format", v.get("format"), 2)
    key = sc.b64url_decode(v["key"])
    suite = sc.Suite(v["version"], v["cipher"], v["serializer"], v["compressor"], v["padding"])
    aead = suite.aead
    expect("key_id", sc.key_id_hex(key), v["key_id"])
    expect("subkey", aead.subkey(key).hex(), v["subkey_hex"])

    created, sealed_at, lifetime = v["issued_at"], v["sealed_at"], v["lifetime"]
    idle = v.get("idle_timeout") or 0
    browser = bool(v.get("browser_session", False))
    flash = v.get("flash")
    sid = bytes.fromhex(v["session_id_hex"])
    expect("session id length", len(sid), sc.SESSION_ID_LEN)
    ser = v["serializer"]

    # the plaintext: session id || [u16 BE length || flash] || value, canonical encodings
    plaintext = bytes.fromhex(v["plaintext_hex"])
    value_bytes = sc.encode_value(ser, v["value"])
    flash_bytes = sc.encode_value(ser, flash) if flash else None
    expect("plaintext from session id, flash and value",
           sc.compose_plaintext(2, value_bytes, sid, flash_bytes).hex(), v["plaintext_hex"])
    try:
        p_sid, p_flash, p_value = sc.split_plaintext(2, sc.FLAG_FLASH if flash else 0, plaintext)
        expect("plaintext session id", p_sid.hex(), v["session_id_hex"])
        if not sc.values_equal(sc.decode_value(ser, p_value), v["value"]):
            problems.append("plaintext value reads as another value than `value`")
        if flash:
            if not sc.values_equal(sc.decode_value(ser, p_flash), flash):
                problems.append("plaintext flash reads as another value than `flash`")
    except (sc.OpenError, sc.DeserializeError) as e:
        problems.append(f"plaintext does not split and read: {e}")

    # the header, as listed
    envelope = bytes.fromhex(v["envelope_hex"])
    expect("cookie is base64url(envelope)", sc.b64url_encode(envelope), v["cookie"])
    expect("first byte is the suite version + 128", envelope[0], v["version"] + 128)
    header = sc.decode_header(v["cookie"])
    expect("header format", header.format, 2)
    expect("header version", header.version, v["version"])
    expect("header key id", f"{header.key_id:08x}", v["key_id"])
    expect("header created_at", header.issued_at, created)
    expect("header sealed_at", header.sealed_at, sealed_at)
    expect("header age bytes", envelope[14:18].hex(), (sealed_at - created).to_bytes(4, "big").hex())
    expect("header lifetime", header.lifetime, lifetime)
    want_flags = (sc.FLAG_BROWSER_SESSION if browser else 0) | (sc.FLAG_FLASH if flash else 0)
    want_flags |= sc.FLAG_PADDED if v["padding"] else 0
    want_flags |= header.flags & sc.FLAG_COMPRESSED if v["compressor"] == "zstd" else 0
    expect("header flags", header.flags, want_flags)
    expect("header bytes", header.pack().hex(), envelope[:22].hex())

    codec = sc.Codec(
        sc.Keyring(key),
        [suite],
        current=suite.version,
        cookie_name=v["cookie_name"],
        max_age=lifetime or None,
        idle_timeout=idle or None,
        budget=1 << 24,
        envelope_format=2,
    )

    compressed_payload = None
    own_compression = ""
    if header.flags & sc.FLAG_COMPRESSED:
        raw = sc.decrypt_envelope(envelope, key, suite, v["cookie_name"])
        if header.flags & sc.FLAG_PADDED:
            raw = sc.unpad(raw)
        compressed_payload = raw
        expect("frozen compressed payload decompresses to the whole plaintext",
               sc.zstd_decompress(raw, sc.DEFAULT_DECOMPRESSION_CAP).hex(), v["plaintext_hex"])
        mine = sc.zstd_compress(plaintext, suite.level)
        own_compression = (
            "; own zstd output identical" if mine == raw else f"; own zstd output differs ({len(mine)} vs {len(raw)} bytes)"
        )
    elif v["compressor"] == "zstd":
        problems.append("zstd suite, but the payload is not compressed")

    nonce = bytes.fromhex(v["nonce_hex"])
    # the crate's way: a fresh session at created_at, opened and re-sealed at sealed_at
    try:
        first = codec.seal_session(v["value"], created, nonce=nonce, session_id=sid)
        expect("fresh seal's session id", first.session_id, sid)
        opened_first = codec.open(first.value, sealed_at)
        again = codec.seal_session(
            v["value"], sealed_at, nonce=nonce, continues=opened_first.facts, browser_session=browser,
            flash=flash, compressed_payload=compressed_payload,
        )
        expect("envelope", sc.b64url_decode(again.value).hex(), v["envelope_hex"])
        expect("cookie", again.value, v["cookie"])
    except (sc.OpenError, sc.SealError) as e:
        problems.append(f"reproducing the seal failed: {e}")
    # and straight from the listed inputs: plaintext, times and flags
    direct = codec.seal_plaintext(
        plaintext, sealed_at, nonce=nonce, issued_at=created, lifetime=lifetime, sealed_at=sealed_at,
        extra_flags=want_flags & (sc.FLAG_BROWSER_SESSION | sc.FLAG_FLASH), compressed_payload=compressed_payload,
    )
    expect("cookie from the listed plaintext, times and flags", direct, v["cookie"])

    # opening at sealed_at: value, flash and facts
    idle_end = sealed_at + idle if idle else None
    absolute_end = created + lifetime if lifetime else None
    try:
        pt, _, _, _ = codec.open_plaintext(v["cookie"], sealed_at)
        expect("opened plaintext", pt.hex(), v["plaintext_hex"])
        o = codec.open(v["cookie"], sealed_at)
        if not sc.values_equal(o.value, v["value"]):
            problems.append("opened value differs from `value`")
        if not sc.values_equal(o.flash, flash or {}):
            problems.append(f"opened flash {o.flash!r} differs from `flash` {flash!r}")
        f = o.facts
        expect("facts format", f.format, 2)
        expect("facts session id", f.session_id.hex() if f.session_id else None, v["session_id_hex"])
        expect("facts issued_at", f.issued_at, created)
        expect("facts sealed_at", f.sealed_at, sealed_at)
        expect("facts lifetime", f.lifetime, lifetime)
        expect("facts browser_session", f.browser_session, browser)
        expect("facts has_flash", f.has_flash, bool(flash))
        expect("facts idle_expires_at", f.idle_expires_at, idle_end)
        expect("facts absolute_expires_at", f.absolute_expires_at, absolute_end)
        expect("facts needs_reissue", f.needs_reissue, False)
    except sc.OpenError as e:
        problems.append(f"open failed: {e}")

    # the end: the earlier limit, by its own rejection, after the skew
    ends, ending = sc.earliest(idle_end, absolute_end)
    if ends is not None:
        want_kind = "idle_expired" if ending == "idle" else "absolutely_expired"
        try:
            codec.open(v["cookie"], ends + sc.DEFAULT_SKEW - 1)
        except sc.OpenError as e:
            problems.append(f"open in the last second of the skew: {e.kind}")
        try:
            codec.open(v["cookie"], ends + sc.DEFAULT_SKEW)
            problems.append(f"opens at the end of the skew after {ending} expiry")
        except sc.OpenError as e:
            expect("rejection at the end", e.kind, want_kind)

    return problems, (
        f"format 2 {v['cipher']}+{v['serializer']}+{v['compressor']} pad {v['padding']} "
        f"flags 0x{header.flags:02x}, age {sealed_at - created}, {len(v['cookie'])} chars{own_compression}"
    )


def run_file(path: str, want_format: str, checker, label: str) -> tuple:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != want_format:
        print(f"{label}: FAIL unexpected format {doc.get('format')!r}")
        return 0, 1, 0
    failed = 0
    for i, v in enumerate(doc["vectors"], start=1):
        try:
            problems, summary = checker(i, v)
        except Exception as e:  # a crash is a mismatch too
            problems, summary = [f"{type(e).__name__}: {e}"], ""
        if problems:
            failed += 1
            print(f"{label} {i}: FAIL {summary}")
            for p in problems:
                print(f"    {p}")
        else:
            print(f"{label} {i}: ok   {summary}")
    total = len(doc["vectors"])
    return total - failed, failed, total


def main(argv: list) -> int:
    path = argv[1] if len(argv) > 1 else DEFAULT_VECTORS
    path_2 = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(path), "v2.json")
    passed, failed, total = run_file(path, "sealed-cookie envelope format 1", check, "vector")
    bad_count = total != V1_COUNT
    if bad_count:
        print(f"{path}: {total} vectors, expected {V1_COUNT}")
    if os.path.exists(path_2):
        p2, f2, t2 = run_file(path_2, "sealed-cookie envelope format 2", check_2, "format 2 vector")
        passed, failed = passed + p2, failed + f2
        if t2 == 0:
            print(f"{path_2}: no vectors")
            bad_count = True
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or bad_count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
