"""An independent implementation of the sealed-cookie wire format, version 1.

Written from SPEC.md alone: key ids and subkeys (section 4), the envelope (sections 1
and 2), sealing (section 5), opening with every check of section 6 in order, zstd
(section 3), padding, the cookie attributes of section 11 and the session values of
section 12 under postcard, MessagePack and JSON.

The ciphers come from pycryptodome, zstd from zstandard (libzstd) and MessagePack
framing from msgpack; nothing cryptographic is written here.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import math
import re
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any, Optional

import msgpack
import zstandard
from Crypto.Cipher import AES, ChaCha20_Poly1305

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
I64_MIN = -(2**63)
I64_MAX = 2**63 - 1

HEADER_LEN = 18
HEADER_CHARS = 24
FLAG_COMPRESSED = 0x01
FLAG_PADDED = 0x02
KNOWN_FLAGS = FLAG_COMPRESSED | FLAG_PADDED

MAX_DEPTH = 64
RECORDS_BUDGET = 16384


def _records_cost(keys: list, rows: int) -> int:
    """SPEC 12.2: what the rows take as plain maps, one-byte lengths and values."""
    return rows * (2 + sum(2 + len(k) for k in keys))
DEFAULT_BUDGET = 4096
DEFAULT_DECOMPRESSION_CAP = 65536
DEFAULT_ZSTD_THRESHOLD = 64
DEFAULT_ZSTD_LEVEL = 3
DEFAULT_SKEW = 60
MAX_BUDGET = 16 * 1024 * 1024
EXPIRES_MAX = 253402300799  # 9999-12-31T23:59:59Z


# --------------------------------------------------------------------------- errors


class ConfigError(ValueError):
    """A configuration the specification calls an error."""


class SerializeError(ValueError):
    """A value the data model of section 12.1 does not hold (sealing refuses it)."""


class DeserializeError(ValueError):
    """A plaintext that is not a session value."""


class SealError(Exception):
    def __init__(self, kind: str, message: str = ""):
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


class TooLarge(SealError):
    def __init__(self, needed: int, budget: int):
        super().__init__("too_large", f"needs {needed} bytes, budget {budget}")
        self.needed = needed
        self.budget = budget


class OpenError(Exception):
    """A rejected cookie; `kind` is the check of section 6 that failed."""

    KINDS = (
        "too_long",
        "malformed",
        "unknown_version",
        "unknown_key",
        "authentication_failed",
        "revoked",
        "not_yet_valid",
        "expired",
        "decompression_over_cap",
        "decompression_failed",
        "deserialization_failed",
    )

    def __init__(self, kind: str, message: str = ""):
        assert kind in self.KINDS, kind
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


# --------------------------------------------------------------------------- base64url


_B64URL_RE = re.compile(rb"\A[A-Za-z0-9_-]*\Z")


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Strict unpadded base64url, as section 1 reads it; ValueError if malformed."""
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("non-ASCII character") from None
    else:
        raw = bytes(text)
    if not _B64URL_RE.match(raw):
        raise ValueError("character outside the base64url alphabet")
    rem = len(raw) % 4
    if rem == 1:
        raise ValueError("length of 4k + 1 characters")
    padded = raw + b"=" * ((4 - rem) % 4)
    try:
        out = base64.b64decode(padded, altchars=b"-_", validate=True)
    except binascii.Error as e:
        raise ValueError(str(e)) from None
    # Canonical final character: the bits beyond the last whole byte are zero.
    if base64.urlsafe_b64encode(out).rstrip(b"=") != raw:
        raise ValueError("non-canonical final character")
    return out


# --------------------------------------------------------------------------- keys (section 4)


def hkdf_sha256(ikm: bytes, info: bytes, length: int, salt: bytes = b"") -> bytes:
    """RFC 5869 HKDF with SHA-256; an absent salt is HashLen zero bytes."""
    if not salt:
        salt = b"\x00" * 32
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def check_key_material(key: bytes) -> None:
    if not 32 <= len(key) <= 1024:
        raise ConfigError(f"key material must be 32 to 1024 bytes, not {len(key)}")


def key_id(key: bytes) -> int:
    check_key_material(key)
    return int.from_bytes(hkdf_sha256(key, b"sealed-cookie/1/key-id", 4), "big")


def key_id_hex(key: bytes) -> str:
    return f"{key_id(key):08x}"


# --------------------------------------------------------------------------- ciphers (section 3)


@dataclass(frozen=True)
class Cipher:
    cid: int
    name: str
    key_len: int
    nonce_len: int
    tag_len: int

    def info(self) -> bytes:
        return f"sealed-cookie/1/aead/{self.name}/{self.cid}".encode("ascii")

    def subkey(self, key: bytes) -> bytes:
        check_key_material(key)
        return hkdf_sha256(key, self.info(), self.key_len)

    def encrypt(self, subkey: bytes, nonce: bytes, aad: bytes, payload: bytes) -> tuple[bytes, bytes]:
        assert len(nonce) == self.nonce_len
        if self.cid == 1:
            c = ChaCha20_Poly1305.new(key=subkey, nonce=nonce)  # 24-byte nonce: XChaCha20
            c.update(aad)
        elif self.cid == 2:
            c = AES.new(subkey, AES.MODE_GCM, nonce=nonce, mac_len=16)
            c.update(aad)
        elif self.cid == 3:
            # RFC 5297: header strings are the associated data, then the nonce
            # (pycryptodome passes the nonce as the last header component).
            c = AES.new(subkey, AES.MODE_SIV, nonce=nonce)
            c.update(aad)
        else:  # pragma: no cover
            raise ConfigError(f"unknown cipher {self.cid}")
        ct, tag = c.encrypt_and_digest(payload)
        return ct, tag

    def decrypt(self, subkey: bytes, nonce: bytes, aad: bytes, ct: bytes, tag: bytes) -> bytes:
        if self.cid == 1:
            c = ChaCha20_Poly1305.new(key=subkey, nonce=nonce)
        elif self.cid == 2:
            c = AES.new(subkey, AES.MODE_GCM, nonce=nonce, mac_len=16)
        elif self.cid == 3:
            c = AES.new(subkey, AES.MODE_SIV, nonce=nonce)
        else:  # pragma: no cover
            raise ConfigError(f"unknown cipher {self.cid}")
        c.update(aad)
        return c.decrypt_and_verify(ct, tag)  # ValueError on a wrong tag


CIPHERS = {
    "xchacha20poly1305": Cipher(1, "xchacha20poly1305", 32, 24, 16),
    "aes256gcm": Cipher(2, "aes256gcm", 32, 12, 16),
    "aes256siv": Cipher(3, "aes256siv", 64, 16, 16),
}
SERIALIZER_IDS = {"postcard": 1, "msgpack": 2, "json": 3}
COMPRESSOR_IDS = {"none": 0, "zstd": 1}


# --------------------------------------------------------------------------- data model (12.1)


def validate_value(v: Any, depth: int = 0) -> None:
    """Raise SerializeError unless `v` is a session value of section 12.1.

    Python types: None, bool, int, float, str, list, dict with str keys.
    """
    if v is None or isinstance(v, bool):
        return
    if isinstance(v, int):
        if not I64_MIN <= v <= U64_MAX:
            raise SerializeError(f"integer {v} outside -2^63 .. 2^64-1")
        return
    if isinstance(v, float):
        if not math.isfinite(v):
            raise SerializeError("NaN and infinities are outside the data model")
        return
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise SerializeError("string holds a surrogate, not a Unicode scalar value") from None
        return
    if isinstance(v, (list, dict)):
        if depth + 1 > MAX_DEPTH:
            raise SerializeError(f"nesting deeper than {MAX_DEPTH}")
        if isinstance(v, list):
            for x in v:
                validate_value(x, depth + 1)
        else:
            for k, x in v.items():
                if not isinstance(k, str):
                    raise SerializeError("map key is not a string")
                validate_value(k, depth + 1)
                validate_value(x, depth + 1)
        return
    raise SerializeError(f"type {type(v).__name__} is outside the data model")


def _sorted_items(d: dict) -> list:
    return sorted(d.items(), key=lambda kv: kv[0].encode("utf-8"))


def values_equal(a: Any, b: Any) -> bool:
    """Exact equality in the data model: 1 is not 1.0 nor True, -0.0 is not 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    return a == b


# --------------------------------------------------------------------------- postcard (12.2)


def _varint(n: int) -> bytes:
    assert 0 <= n <= U64_MAX
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zigzag(i: int) -> int:
    return ((i << 1) ^ (i >> 63)) & U64_MAX


def _unzigzag(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


class _PostcardWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.records_used = 0

    def lpstr(self, s: str) -> None:
        b = s.encode("utf-8")
        self.out += _varint(len(b)) + b

    def value(self, v: Any) -> None:
        o = self.out
        if v is None:
            o.append(0x00)
        elif v is False:
            o.append(0x08)
        elif v is True:
            o.append(0x09)
        elif isinstance(v, int):
            if 0 <= v <= 63:
                o.append(0x40 + v)
            elif v <= I64_MAX:
                o.append(0x02)
                o += _varint(_zigzag(v))
            else:
                o.append(0x03)
                o += _varint(v)
        elif isinstance(v, float):
            o.append(0x04)
            o += struct.pack("<d", v)
        elif isinstance(v, str):
            b = v.encode("utf-8")
            if len(b) <= 47:
                o.append(0x10 + len(b))
                o += b
            else:
                o.append(0x05)
                o += _varint(len(b)) + b
        elif isinstance(v, dict):
            o.append(0x07)
            o += _varint(len(v))
            for k, x in _sorted_items(v):
                self.lpstr(k)
                self.value(x)
        elif isinstance(v, list):
            keys = self._records_keys(v)
            if keys is not None:
                cost = _records_cost([k.encode("utf-8") for k in keys], len(v))
                if self.records_used + cost <= RECORDS_BUDGET:
                    self.records_used += cost
                    o.append(0x0A)
                    o += _varint(len(keys))
                    for k in keys:
                        self.lpstr(k)
                    o += _varint(len(v))
                    for row in v:
                        for k in keys:
                            self.value(row[k])
                    return
            o.append(0x06)
            o += _varint(len(v))
            for x in v:
                self.value(x)
        else:  # pragma: no cover - validate_value ran first
            raise SerializeError(type(v).__name__)

    @staticmethod
    def _records_keys(v: list) -> Optional[list]:
        if len(v) < 2 or not all(isinstance(x, dict) for x in v):
            return None
        first = set(v[0].keys())
        if not first or any(set(x.keys()) != first for x in v[1:]):
            return None
        return sorted(first, key=lambda k: k.encode("utf-8"))


class _PostcardReader:
    def __init__(self, data: bytes) -> None:
        self.d = data
        self.i = 0
        self.records_used = 0

    def remaining(self) -> int:
        return len(self.d) - self.i

    def byte(self) -> int:
        if self.i >= len(self.d):
            raise DeserializeError("value ends early")
        b = self.d[self.i]
        self.i += 1
        return b

    def take(self, n: int) -> bytes:
        if n > self.remaining():
            raise DeserializeError("value ends early")
        b = self.d[self.i : self.i + n]
        self.i += n
        return b

    def varint(self) -> int:
        n = 0
        for idx in range(10):
            b = self.byte()
            if idx == 9 and b > 0x01:
                raise DeserializeError("varint above 2^64 - 1")
            n |= (b & 0x7F) << (7 * idx)
            if not b & 0x80:
                return n
        raise DeserializeError("varint longer than 10 bytes")  # pragma: no cover

    def utf8(self, n: int) -> str:
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise DeserializeError("invalid UTF-8") from None

    def lpstr(self) -> str:
        return self.utf8(self.varint())

    def value(self, depth: int) -> Any:
        t = self.byte()
        if t == 0x00:
            return None
        if t == 0x01:
            b = self.byte()
            if b > 1:
                raise DeserializeError("boolean byte other than 0 or 1")
            return b == 1
        if t == 0x02:
            return _unzigzag(self.varint())
        if t == 0x03:
            return self.varint()
        if t == 0x04:
            f = struct.unpack("<d", self.take(8))[0]
            if not math.isfinite(f):
                raise DeserializeError("non-finite float")
            return f
        if t == 0x05:
            return self.lpstr()
        if t in (0x06, 0x07, 0x0A):
            if depth + 1 > MAX_DEPTH:
                raise DeserializeError(f"nesting deeper than {MAX_DEPTH}")
            if t == 0x06:
                n = self.varint()
                if n > self.remaining():
                    raise DeserializeError("array count exceeds the remaining bytes")
                return [self.value(depth + 1) for _ in range(n)]
            if t == 0x07:
                n = self.varint()
                if 2 * n > self.remaining():
                    raise DeserializeError("map count exceeds the remaining bytes")
                m: dict = {}
                for _ in range(n):
                    k = self.lpstr()
                    if k in m:
                        raise DeserializeError(f"repeated map key {k!r}")
                    m[k] = self.value(depth + 1)
                return m
            # 0x0a records: an array of n maps sharing k keys (two levels of nesting).
            if depth + 2 > MAX_DEPTH:
                raise DeserializeError(f"nesting deeper than {MAX_DEPTH}")
            k = self.varint()
            if k < 1:
                raise DeserializeError("records form with no keys")
            if k > self.remaining():
                raise DeserializeError("records key count exceeds the remaining bytes")
            keys = [self.lpstr() for _ in range(k)]
            enc = [x.encode("utf-8") for x in keys]
            if any(enc[j] >= enc[j + 1] for j in range(k - 1)):
                raise DeserializeError("records keys not in strictly ascending order")
            n = self.varint()
            if n < 1:
                raise DeserializeError("records form with no rows")
            if n * k > self.remaining():
                raise DeserializeError("records size exceeds the remaining bytes")
            self.records_used += _records_cost(enc, n)
            if self.records_used > RECORDS_BUDGET:
                raise DeserializeError("records budget exceeded")
            rows = []
            for _ in range(n):
                rows.append({key: self.value(depth + 2) for key in keys})
            return rows
        if t == 0x08:
            return False
        if t == 0x09:
            return True
        if 0x10 <= t <= 0x3F:
            return self.utf8(t - 0x10)
        if 0x40 <= t <= 0x7F:
            return t - 0x40
        raise DeserializeError(f"unknown postcard tag 0x{t:02x}")


def postcard_encode(v: Any) -> bytes:
    validate_value(v)
    w = _PostcardWriter()
    w.value(v)
    return bytes(w.out)


def postcard_decode(data: bytes) -> Any:
    r = _PostcardReader(bytes(data))
    v = r.value(0)
    if r.remaining():
        raise DeserializeError("bytes after the value")
    return v


# --------------------------------------------------------------------------- MessagePack (12.3)


def _mp_sorted(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _mp_sorted(x) for k, x in _sorted_items(v)}
    if isinstance(v, list):
        return [_mp_sorted(x) for x in v]
    return v


def msgpack_encode(v: Any) -> bytes:
    validate_value(v)
    # msgpack-python writes the shortest int/str/array/map forms, str8 with
    # use_bin_type, float 64 without use_single_float, and dicts in their order.
    return msgpack.packb(_mp_sorted(v), use_bin_type=True, use_single_float=False, strict_types=True)


def _mp_pairs(pairs: list) -> dict:
    m: dict = {}
    for k, x in pairs:
        if not isinstance(k, str):
            raise DeserializeError("map key is not a str")
        if k in m:
            raise DeserializeError(f"repeated map key {k!r}")
        m[k] = x
    return m


def _mp_ext(code: int, data: bytes) -> Any:
    raise DeserializeError(f"ext type {code}")


def _mp_check(v: Any, depth: int = 0) -> None:
    if v is None or isinstance(v, (bool, int, str)):
        return
    if isinstance(v, float):
        if not math.isfinite(v):
            raise DeserializeError("non-finite float")
        return
    if isinstance(v, (list, dict)):
        if depth + 1 > MAX_DEPTH:
            raise DeserializeError(f"nesting deeper than {MAX_DEPTH}")
        for x in v.values() if isinstance(v, dict) else v:
            _mp_check(x, depth + 1)
        return
    # bytes (bin), msgpack.ExtType, msgpack.Timestamp ...
    raise DeserializeError(f"MessagePack type {type(v).__name__} is not a session value")


def msgpack_decode(data: bytes) -> Any:
    try:
        v = msgpack.unpackb(
            bytes(data),
            raw=False,
            strict_map_key=False,  # checked in _mp_pairs, to say why
            use_list=True,
            object_pairs_hook=_mp_pairs,
            ext_hook=_mp_ext,
            timestamp=0,
        )
    except DeserializeError:
        raise
    except msgpack.ExtraData as e:
        raise DeserializeError("bytes after the value") from e
    except Exception as e:  # OutOfData, FormatError, StackError, UnicodeDecodeError, ...
        raise DeserializeError(f"invalid MessagePack: {e}") from e
    _mp_check(v)
    return v


# --------------------------------------------------------------------------- JSON (12.4)


def format_float(f: float) -> str:
    """Shortest round-trip binary64, laid out as section 12.4 writes it.

    The digits are Python's shortest repr (the same digits as Ryu); the layout is
    positional for 10^-5 <= |f| < 10^16, with a decimal point, otherwise
    mantissa `e` exponent with `+` for a positive exponent.
    """
    if not math.isfinite(f):
        raise SerializeError("NaN and infinities are outside the data model")
    r = repr(f)
    sign = ""
    if r.startswith("-"):
        sign, r = "-", r[1:]
    if "e" in r:
        mant, exp_s = r.split("e")
        exp = int(exp_s)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # value = 0.digits... : compute decimal exponent of the digit string
    point = len(ip) + exp  # position of the decimal point relative to ip+fp
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    digits = digits.rstrip("0")
    if not digits:
        return sign + "0.0"
    length = len(digits)
    kk = point - lead_zeros  # 10^(kk-1) <= |f| < 10^kk
    if 0 <= kk - length and kk <= 16:
        out = digits + "0" * (kk - length) + ".0"
    elif 0 < kk <= 16:
        out = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        out = "0." + "0" * (-kk) + digits
    else:
        e = kk - 1
        m = digits[0] + ("." + digits[1:] if length > 1 else "")
        out = m + "e" + ("-" if e < 0 else "+") + str(abs(e))
    return sign + out


_JSON_ESC = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _json_str(s: str) -> str:
    out = ['"']
    for ch in s:
        e = _JSON_ESC.get(ch)
        if e is not None:
            out.append(e)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _json_write(v: Any, out: list) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        out.append(format_float(v))
    elif isinstance(v, str):
        out.append(_json_str(v))
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _json_write(x, out)
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        for i, (k, x) in enumerate(_sorted_items(v)):
            if i:
                out.append(",")
            out.append(_json_str(k))
            out.append(":")
            _json_write(x, out)
        out.append("}")
    else:  # pragma: no cover
        raise SerializeError(type(v).__name__)


def json_encode(v: Any) -> bytes:
    validate_value(v)
    out: list = []
    _json_write(v, out)
    return "".join(out).encode("utf-8")


def _json_int(s: str) -> Any:
    # SPEC 12.4: `-0` is the one integer literal that reads as a float, -0.0.
    if s == "-0":
        return -0.0
    i = int(s)
    if not I64_MIN <= i <= U64_MAX:
        raise DeserializeError(f"integer literal {s} outside -2^63 .. 2^64-1")
    return i


def _json_float(s: str) -> float:
    f = float(s)
    if not math.isfinite(f):
        raise DeserializeError(f"number {s} overflows binary64")
    return f


def _json_const(s: str) -> Any:
    raise DeserializeError(f"{s} is not JSON")


def _json_check_strings(v: Any, depth: int = 0, max_depth: int = MAX_DEPTH) -> None:
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise DeserializeError("unpaired surrogate")
    elif isinstance(v, (list, dict)):
        if depth + 1 > max_depth:
            raise DeserializeError(f"nesting deeper than {MAX_DEPTH}")
        if isinstance(v, dict):
            for k, x in v.items():
                _json_check_strings(k, depth + 1, max_depth)
                _json_check_strings(x, depth + 1, max_depth)
        else:
            for x in v:
                _json_check_strings(x, depth + 1, max_depth)


def json_decode(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """A session value from JSON (12.4); `max_depth` is raised only to read a
    document that wraps a session value (the tool's `--facts` output)."""
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise DeserializeError("invalid UTF-8") from None
    if text.startswith("\ufeff"):
        raise DeserializeError("byte-order mark")
    try:
        v = json.loads(
            text,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_const,
            object_pairs_hook=lambda pairs: _mp_pairs(pairs),
        )
    except DeserializeError:
        raise
    except (ValueError, RecursionError) as e:
        raise DeserializeError(f"invalid JSON: {e}") from e
    _json_check_strings(v, 0, max_depth)
    return v


SERIALIZERS = {
    "postcard": (postcard_encode, postcard_decode),
    "msgpack": (msgpack_encode, msgpack_decode),
    "json": (json_encode, json_decode),
}


def encode_value(serializer: str, v: Any) -> bytes:
    try:
        return SERIALIZERS[serializer][0](v)
    except RecursionError:
        raise SerializeError("nesting too deep") from None


def decode_value(serializer: str, data: bytes) -> Any:
    return SERIALIZERS[serializer][1](data)


# --------------------------------------------------------------------------- zstd (section 3)


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZSTD_DICT_MAGIC = b"\x37\xa4\x30\xec"


def dictionary_id(dictionary: bytes) -> int:
    """The dictionary's identity: first four bytes of SHA-256, big-endian, or 1 if 0."""
    i = int.from_bytes(hashlib.sha256(dictionary).digest()[:4], "big")
    return i or 1


def _zstd_dict(dictionary: Optional[bytes]):
    if dictionary is None or len(dictionary) == 0:
        return None
    # libzstd's automatic content type: zstd-formatted when >= 8 bytes with the magic.
    return zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_AUTO)


def zstd_compress(plaintext: bytes, level: int = DEFAULT_ZSTD_LEVEL, dictionary: Optional[bytes] = None) -> bytes:
    params = dict(level=level, write_checksum=False, write_content_size=True, write_dict_id=False)
    d = _zstd_dict(dictionary)
    if d is not None and len(dictionary) >= 8:
        params["dict_data"] = d
    return zstandard.ZstdCompressor(**params).compress(plaintext)


def zstd_decompress(payload: bytes, cap: int, dictionary: Optional[bytes] = None) -> bytes:
    """Opening, section 3: read the declared size before allocating, then decode exactly."""
    payload = bytes(payload)
    if len(payload) >= 4 and 0x184D2A50 <= int.from_bytes(payload[:4], "little") <= 0x184D2A5F:
        # A leading skippable frame declares size 0; such a payload comes from no
        # conforming writer and this opener refuses it (the MAY of section 3).
        raise OpenError("decompression_failed", "payload begins with a skippable frame")
    try:
        fp = zstandard.get_frame_parameters(payload)
    except zstandard.ZstdError as e:
        raise OpenError("decompression_failed", f"frame header: {e}") from None
    size = fp.content_size
    if size in (zstandard.CONTENTSIZE_UNKNOWN, zstandard.CONTENTSIZE_ERROR):
        raise OpenError("decompression_failed", "frame declares no content size")
    if size > cap:
        raise OpenError("decompression_over_cap", f"declares {size} bytes, cap {cap}")
    params = {}
    d = _zstd_dict(dictionary)
    if d is not None:
        params["dict_data"] = d
    try:
        out = zstandard.ZstdDecompressor(**params).decompress(
            payload, max_output_size=max(size, 1), allow_extra_data=False
        )
    except zstandard.ZstdError as e:
        raise OpenError("decompression_failed", str(e)) from None
    if len(out) != size:
        raise OpenError("decompression_failed", f"decoded {len(out)} of {size} bytes")
    return out


# --------------------------------------------------------------------------- padding


def pad(payload: bytes, block: int) -> bytes:
    if not 1 <= block <= 4096:
        raise ConfigError("padding block must be 1 to 4096")
    k = (-(len(payload) + 1)) % block
    return payload + b"\x80" + b"\x00" * k


def unpad(payload: bytes) -> bytes:
    stripped = payload.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise OpenError("malformed", "padding without its 0x80 marker")
    return stripped[:-1]


# --------------------------------------------------------------------------- suites


@dataclass(frozen=True)
class Suite:
    version: int
    cipher: str
    serializer: str
    compressor: str = "none"
    padding: int = 0  # 0: none, otherwise the block B
    level: int = DEFAULT_ZSTD_LEVEL
    threshold: int = DEFAULT_ZSTD_THRESHOLD
    dictionary: Optional[bytes] = None

    def __post_init__(self) -> None:
        if not 1 <= self.version <= 127:
            raise ConfigError(f"suite version {self.version} is reserved")
        if self.cipher not in CIPHERS or self.serializer not in SERIALIZERS or self.compressor not in COMPRESSOR_IDS:
            raise ConfigError("unknown algorithm")
        if self.padding and not 1 <= self.padding <= 4096:
            raise ConfigError("padding block must be 1 to 4096")
        if self.compressor == "none" and self.dictionary is not None:
            raise ConfigError("a dictionary needs zstd")

    @property
    def aead(self) -> Cipher:
        return CIPHERS[self.cipher]

    def dictionary_id(self) -> int:
        if self.compressor == "none" or not self.dictionary:
            return 0
        return dictionary_id(self.dictionary)

    def descriptor(self) -> bytes:
        return bytes(
            [self.aead.cid, SERIALIZER_IDS[self.serializer], COMPRESSOR_IDS[self.compressor]]
        ) + self.dictionary_id().to_bytes(4, "big")


# The command-line tool's named suites (SPEC.md section 3, "Named suites"): name ->
# (version, cipher, serializer, compressor); zstd at level 3, no dictionary, no padding.
NAMED_SUITES: dict[str, tuple[int, str, str, str]] = {
    "xchacha-postcard": (1, "xchacha20poly1305", "postcard", "none"),
    "xchacha-msgpack": (2, "xchacha20poly1305", "msgpack", "none"),
    "xchacha-json": (3, "xchacha20poly1305", "json", "none"),
    "xchacha-postcard-zstd": (4, "xchacha20poly1305", "postcard", "zstd"),
    "xchacha-msgpack-zstd": (5, "xchacha20poly1305", "msgpack", "zstd"),
    "xchacha-json-zstd": (6, "xchacha20poly1305", "json", "zstd"),
    "aes-gcm-postcard": (7, "aes256gcm", "postcard", "none"),
    "aes-gcm-msgpack": (8, "aes256gcm", "msgpack", "none"),
    "aes-gcm-json": (9, "aes256gcm", "json", "none"),
    "aes-gcm-postcard-zstd": (10, "aes256gcm", "postcard", "zstd"),
    "aes-gcm-msgpack-zstd": (11, "aes256gcm", "msgpack", "zstd"),
    "aes-gcm-json-zstd": (12, "aes256gcm", "json", "zstd"),
    "aes-siv-postcard": (13, "aes256siv", "postcard", "none"),
    "aes-siv-msgpack": (14, "aes256siv", "msgpack", "none"),
    "aes-siv-json": (15, "aes256siv", "json", "none"),
    "aes-siv-postcard-zstd": (16, "aes256siv", "postcard", "zstd"),
    "aes-siv-msgpack-zstd": (17, "aes256siv", "msgpack", "zstd"),
    "aes-siv-json-zstd": (18, "aes256siv", "json", "zstd"),
}


def named_suite(name: str, version: Optional[int] = None, padding: int = 0) -> Suite:
    """A named suite, under its table version or under an application's `version`."""
    v, c, s, z = NAMED_SUITES[name]
    return Suite(version if version is not None else v, c, s, z, padding)


def all_named_suites() -> list:
    return [named_suite(n) for n in NAMED_SUITES]


# --------------------------------------------------------------------------- header


@dataclass(frozen=True)
class Header:
    version: int
    key_id: int
    flags: int
    issued_at: int
    lifetime: int

    def pack(self) -> bytes:
        return struct.pack(">BIBQI", self.version, self.key_id, self.flags, self.issued_at, self.lifetime)

    @classmethod
    def unpack(cls, b: bytes) -> "Header":
        assert len(b) == HEADER_LEN
        return cls(*struct.unpack(">BIBQI", b))


def _sat(a: int, b: int) -> int:
    return min(a + b, U64_MAX)


def effective_expiry(issued_at: int, lifetime: int, max_age: Optional[int]) -> Optional[int]:
    if lifetime:
        e = _sat(issued_at, lifetime)
        if max_age:
            e = min(e, _sat(issued_at, max_age))
        return e
    if max_age:
        return _sat(issued_at, max_age)
    return None


# --------------------------------------------------------------------------- cookie attributes (11)


def imf_fixdate(t: int) -> str:
    t = min(t, EXPIRES_MAX)
    d = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=t)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{days[d.weekday()]}, {d.day:02d} {months[d.month - 1]} {d.year:04d} {d.hour:02d}:{d.minute:02d}:{d.second:02d} GMT"


@dataclass
class Attributes:
    http_only: bool = True
    same_site: Optional[str] = "Lax"  # "Strict", "Lax", "None", or None (left out)
    partitioned: bool = False
    secure: bool = True
    path: Optional[str] = "/"
    domain: Optional[str] = None
    write_expires: bool = False

    def render(self, header: Header, now: int) -> str:
        parts = []
        if self.http_only:
            parts.append("; HttpOnly")
        if self.same_site is not None:
            if self.same_site not in ("Strict", "Lax", "None"):
                raise ConfigError(f"SameSite={self.same_site}")
            parts.append(f"; SameSite={self.same_site}")
        if self.partitioned:
            parts.append("; Partitioned")
        if self.secure or self.partitioned or self.same_site == "None":
            parts.append("; Secure")
        if self.path is not None:
            parts.append(f"; Path={self.path}")
        if self.domain:
            parts.append(f"; Domain={self.domain}")
        if header.lifetime:
            expiry = _sat(header.issued_at, header.lifetime)
            parts.append(f"; Max-Age={max(expiry - now, 0)}")
            if self.write_expires:
                parts.append(f"; Expires={imf_fixdate(expiry)}")
        return "".join(parts)


# --------------------------------------------------------------------------- keyring


@dataclass
class Keyring:
    primary: bytes
    accepted: list = field(default_factory=list)

    def __post_init__(self) -> None:
        ids = [key_id(k) for k in [self.primary, *self.accepted]]
        if len(set(ids)) != len(ids):
            raise ConfigError("two keys with the same id")
        self._by_id = {key_id(k): k for k in [self.primary, *self.accepted]}
        self.primary_id = ids[0]

    def lookup(self, kid: int) -> Optional[bytes]:
        return self._by_id.get(kid)

    @classmethod
    def from_env(cls, text: str) -> "Keyring":
        """SEALED_COOKIE_KEYS: comma-separated base64url keys, primary first."""
        keys = [b64url_decode(k.strip()) for k in text.strip().split(",") if k.strip()]
        return cls(keys[0], keys[1:])

    @classmethod
    def from_file(cls, path: str) -> "Keyring":
        """The keyring file of README.md: TOML, or JSON for a .json name / `{` text."""
        import tomllib

        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".json") or raw.lstrip().startswith(b"{"):
            doc = json.loads(raw)
        else:
            doc = tomllib.loads(raw.decode("utf-8"))
        if doc.get("version") != 1:
            raise ConfigError("keyring file version is not 1")
        primary, accepted = None, []
        for entry in doc.get("keys", []):
            k = b64url_decode(entry["key"])
            if "id" in entry and entry["id"] != key_id_hex(k):
                raise ConfigError(f"key id {entry['id']} does not match its key")
            if entry["role"] == "primary":
                if primary is not None:
                    raise ConfigError("two primary keys")
                primary = k
            elif entry["role"] == "accepted":
                accepted.append(k)
            else:
                raise ConfigError(f"unknown role {entry['role']!r}")
        if primary is None:
            raise ConfigError("no primary key")
        return cls(primary, accepted)


# --------------------------------------------------------------------------- codec


@dataclass
class Opened:
    value: Any
    plaintext: bytes
    header: Header
    expiry: Optional[int]
    needs_reissue: bool
    key_id: int

    @property
    def compressed(self) -> bool:
        return bool(self.header.flags & FLAG_COMPRESSED)

    @property
    def padded(self) -> bool:
        return bool(self.header.flags & FLAG_PADDED)


class Codec:
    """Seals and opens cookies of one name under a keyring and registered suites."""

    def __init__(
        self,
        keyring: Keyring,
        suites: list,
        current: int,
        cookie_name: str = "session",
        max_age: Optional[int] = None,
        clock_skew: int = DEFAULT_SKEW,
        not_before: Optional[int] = None,
        renew_within: Optional[int] = None,
        budget: int = DEFAULT_BUDGET,
        max_value_len: Optional[int] = None,
        decompression_cap: int = DEFAULT_DECOMPRESSION_CAP,
        attributes: Optional[Attributes] = None,
    ) -> None:
        self.keyring = keyring
        self.suites: dict[int, Suite] = {}
        for s in suites:
            if s.version in self.suites:
                raise ConfigError(f"version {s.version} registered twice")
            self.suites[s.version] = s
        if current not in self.suites:
            raise ConfigError(f"current version {current} is not registered")
        self.current = current
        try:
            self.name_bytes = cookie_name.encode("ascii")
        except UnicodeEncodeError:
            raise ConfigError("cookie name is not ASCII") from None
        self.cookie_name = cookie_name
        if max_age is not None and not 1 <= int(max_age) <= U32_MAX:
            raise ConfigError("max_age must be 1 to 2^32 - 1 seconds")
        self.max_age = int(max_age) if max_age is not None else None
        self.clock_skew = int(clock_skew)
        self.not_before = not_before
        self.renew_within = renew_within
        if budget > MAX_BUDGET:
            raise ConfigError("budget above 16 MiB")
        self.budget = budget
        self.max_value_len = budget if max_value_len is None else max_value_len
        self.decompression_cap = decompression_cap
        self.attributes = attributes if attributes is not None else Attributes()

    # -- sealing (section 5)

    def _aad(self, header: bytes, suite: Suite) -> bytes:
        return header + suite.descriptor() + self.name_bytes

    def seal(self, value: Any, now: int, nonce: Optional[bytes] = None) -> str:
        suite = self.suites[self.current]
        plaintext = encode_value(suite.serializer, value)
        return self.seal_plaintext(plaintext, now, nonce=nonce)

    def seal_plaintext(
        self,
        plaintext: bytes,
        now: int,
        nonce: Optional[bytes] = None,
        issued_at: Optional[int] = None,
        lifetime: Optional[int] = None,
        compressed_payload: Optional[bytes] = None,
    ) -> str:
        """Steps 2 to 9 from the serialized plaintext.

        `compressed_payload` replaces the output of compression (to reproduce a
        vector whose compressed bytes are frozen); it is used only where step 2
        would compress.
        """
        suite = self.suites[self.current]
        flags = 0
        payload = plaintext
        if (
            suite.compressor == "zstd"
            and suite.threshold <= len(plaintext) <= self.decompression_cap
        ):
            comp = compressed_payload if compressed_payload is not None else zstd_compress(
                plaintext, suite.level, suite.dictionary
            )
            if len(comp) < len(plaintext):
                payload = comp
                flags |= FLAG_COMPRESSED
        if suite.padding:
            payload = pad(payload, suite.padding)
            flags |= FLAG_PADDED
        if issued_at is None:
            issued_at = now
        if lifetime is None:
            lifetime = self.max_age or 0
        header = Header(suite.version, self.keyring.primary_id, flags, issued_at, lifetime)
        return self._finish(suite, header, payload, now, nonce)

    def _finish(self, suite: Suite, header: Header, payload: bytes, now: int, nonce: Optional[bytes]) -> str:
        aead = suite.aead
        if nonce is None:
            nonce = secrets.token_bytes(aead.nonce_len)
        if len(nonce) != aead.nonce_len:
            raise SealError("nonce", f"nonce must be {aead.nonce_len} bytes")
        hb = header.pack()
        subkey = aead.subkey(self.keyring.primary)
        ct, tag = aead.encrypt(subkey, nonce, self._aad(hb, suite), payload)
        cookie = b64url_encode(hb + nonce + ct + tag)
        needed = len(self.set_cookie(cookie, header, now))
        if needed > self.budget:
            raise TooLarge(needed, self.budget)
        return cookie

    def set_cookie(self, cookie: str, header: Header, now: int) -> str:
        return f"{self.cookie_name}={cookie}" + self.attributes.render(header, now)

    def reseal(self, opened: Opened, now: int, value: Any = None, nonce: Optional[bytes] = None) -> str:
        """Re-issue: primary key, current suite, same issued_at, lifetime never longer."""
        suite = self.suites[self.current]
        L = opened.header.lifetime
        if L == 0:
            lifetime = self.max_age or 0
        else:
            lifetime = min(L, self.max_age) if self.max_age else L
        if lifetime and now >= _sat(opened.header.issued_at, lifetime):
            raise SealError("already_expired")
        v = opened.value if value is None else value
        return self.seal_plaintext(
            encode_value(suite.serializer, v), now, nonce=nonce,
            issued_at=opened.header.issued_at, lifetime=lifetime,
        )

    # -- opening (section 6)

    def open_plaintext(self, cookie: str | bytes, now: int) -> tuple[bytes, Header, Suite, Optional[int]]:
        """Steps 1 to 11: the authenticated, unpadded, decompressed plaintext."""
        # 1. length before any decoding, counted in bytes (as the budget is)
        n = len(cookie.encode("utf-8", "surrogatepass")) if isinstance(cookie, str) else len(cookie)
        if n > self.max_value_len:
            raise OpenError("too_long", f"{n} bytes")
        if not isinstance(cookie, str):
            try:
                cookie = bytes(cookie).decode("ascii")
            except UnicodeDecodeError:
                raise OpenError("malformed", "non-ASCII byte") from None
        # 2. the first 24 characters, on their own
        try:
            hb = b64url_decode(cookie[:HEADER_CHARS]) if len(cookie) >= HEADER_CHARS else None
        except ValueError as e:
            raise OpenError("malformed", f"header: {e}") from None
        if hb is None or len(hb) != HEADER_LEN:
            raise OpenError("malformed", "shorter than a header")
        header = Header.unpack(hb)
        if header.flags & ~KNOWN_FLAGS:
            raise OpenError("malformed", f"unknown flags 0x{header.flags:02x}")
        # 3. version
        suite = self.suites.get(header.version)
        if suite is None:
            raise OpenError("unknown_version", str(header.version))
        # 4. key
        key = self.keyring.lookup(header.key_id)
        if key is None:
            raise OpenError("unknown_key", f"{header.key_id:08x}")
        # 5. the whole value
        try:
            env = b64url_decode(cookie)
        except ValueError as e:
            raise OpenError("malformed", str(e)) from None
        aead = suite.aead
        if len(env) < HEADER_LEN + aead.nonce_len + aead.tag_len:
            raise OpenError("malformed", "envelope too short")
        nonce = env[HEADER_LEN : HEADER_LEN + aead.nonce_len]
        ct = env[HEADER_LEN + aead.nonce_len : len(env) - aead.tag_len]
        tag = env[len(env) - aead.tag_len :]
        # 6. one AEAD attempt
        try:
            payload = aead.decrypt(aead.subkey(key), nonce, self._aad(hb, suite), ct, tag)
        except ValueError:
            raise OpenError("authentication_failed") from None
        # 7. revocation cutoff
        if self.not_before is not None and header.issued_at < self.not_before:
            raise OpenError("revoked")
        # 8. not yet valid
        if header.issued_at > _sat(now, self.clock_skew):
            raise OpenError("not_yet_valid")
        # 9. expired
        expiry = effective_expiry(header.issued_at, header.lifetime, self.max_age)
        if expiry is not None and not now < _sat(expiry, self.clock_skew):
            raise OpenError("expired")
        # 10. padding, whatever the suite's policy
        if header.flags & FLAG_PADDED:
            payload = unpad(payload)
        # 11. decompression
        if header.flags & FLAG_COMPRESSED:
            if suite.compressor != "zstd":
                raise OpenError("decompression_failed", "compressed flag under compressor none")
            payload = zstd_decompress(payload, self.decompression_cap, suite.dictionary)
        return payload, header, suite, expiry

    def open(self, cookie: str, now: int) -> Opened:
        plaintext, header, suite, exp = self.open_plaintext(cookie, now)
        # 12. deserialization
        try:
            value = decode_value(suite.serializer, plaintext)
        except DeserializeError as e:
            raise OpenError("deserialization_failed", str(e)) from None
        needs = header.key_id != self.keyring.primary_id or header.version != self.current
        if exp is not None and self.renew_within is not None and now < exp and exp - now < self.renew_within:
            needs = True
        return Opened(value, plaintext, header, exp, needs, header.key_id)


def decrypt_envelope(envelope: bytes, key: bytes, suite: Suite, cookie_name: str) -> bytes:
    """The raw AEAD payload of an envelope (compressed and padded as sealed)."""
    aead = suite.aead
    hb = envelope[:HEADER_LEN]
    nonce = envelope[HEADER_LEN : HEADER_LEN + aead.nonce_len]
    ct = envelope[HEADER_LEN + aead.nonce_len : len(envelope) - aead.tag_len]
    tag = envelope[len(envelope) - aead.tag_len :]
    aad = hb + suite.descriptor() + cookie_name.encode("ascii")
    return aead.decrypt(aead.subkey(key), nonce, aad, ct, tag)
