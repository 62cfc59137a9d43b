#!/usr/bin/env python3
"""Reproduce every frozen vector of tests/vectors/v1.json byte for byte (SPEC.md 9.1).

For each vector: key_id and subkey from the key; the plaintext read as a session
value equals `value` (for payload "value"), and from vector 6 on the canonical
encoding of `value` is `plaintext_hex`; the envelope and cookie are reproduced by
sealing `plaintext_hex` with the nonce at `issued_at` (a compressed payload is
taken from the envelope's own AEAD decryption, not recompressed); the cookie opens
back at `issued_at` to the same plaintext and value.

Prints one line per vector; exits 1 on any mismatch.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sealed_cookie as sc  # noqa: E402

DEFAULT_VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "vectors", "v1.json")


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


def main(argv: list) -> int:
    path = argv[1] if len(argv) > 1 else DEFAULT_VECTORS
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "sealed-cookie envelope format 1":
        print(f"FAIL unexpected format {doc.get('format')!r}")
        return 1
    failed = 0
    for i, v in enumerate(doc["vectors"], start=1):
        try:
            problems, summary = check(i, v)
        except Exception as e:  # a crash is a mismatch too
            problems, summary = [f"{type(e).__name__}: {e}"], ""
        if problems:
            failed += 1
            print(f"vector {i}: FAIL {summary}")
            for p in problems:
                print(f"    {p}")
        else:
            print(f"vector {i}: ok   {summary}")
    total = len(doc["vectors"])
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed or total != 11 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
