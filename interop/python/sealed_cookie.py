"""An independent implementation of the sealed-cookie wire format, envelope formats 1 and 2.

Written from SPEC.md and the crate's code: key ids and subkeys (section 4), the
envelope of both formats (sections 1 and 2: the 18-byte format 1 header, the 22-byte
format 2 header whose first byte is the suite version + 128), sealing (section 5:
in format 2 the plaintext begins with a 16-byte session id and may carry flash
messages), opening with every check of section 6 in order, the lifecycle (idle and
absolute timeouts, renewal, re-issue), zstd (section 3), padding, the cookie
attributes of section 11 and the session values of section 12 under postcard,
MessagePack and JSON.

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

HEADER_LEN = 18  # format 1
HEADER_CHARS = 24  # base64url characters of 18 bytes: a format 1 header, read alone
HEADER_2_LEN = 22  # format 2
HEADER_2_CHARS = 32  # 24 bytes: a format 2 header and 2 nonce bytes, read alone
FORMAT_2_BIT = 0x80  # added to the suite version in the first byte of a format 2 header
SESSION_ID_LEN = 16
FLAG_COMPRESSED = 0x01
FLAG_PADDED = 0x02
FLAG_BROWSER_SESSION = 0x04  # format 2 only
FLAG_FLASH = 0x08  # format 2 only
KNOWN_FLAGS = FLAG_COMPRESSED | FLAG_PADDED  # format 1
KNOWN_FLAGS_1 = KNOWN_FLAGS
KNOWN_FLAGS_2 = KNOWN_FLAGS_1 | FLAG_BROWSER_SESSION | FLAG_FLASH
FORMATS = (1, 2)

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
        "idle_expired",
        "absolutely_expired",
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


def format_of_version_byte(byte: int) -> int:
    """The envelope format a first header byte names: 2 when bit 0x80 is set."""
    return 2 if byte & FORMAT_2_BIT else 1


def header_len(fmt: int) -> int:
    return HEADER_LEN if fmt == 1 else HEADER_2_LEN


def known_flags(fmt: int) -> int:
    return KNOWN_FLAGS_1 if fmt == 1 else KNOWN_FLAGS_2


@dataclass(frozen=True)
class Header:
    """A header of either format.

    `version` is the suite version (1 to 127; 0 when read from byte 0 or 128);
    `issued_at` is format 1's issued-at or format 2's `created_at`; `sealed_at` is
    `created_at + age` in format 2 and `issued_at` in format 1 (which records no
    seal time of its own).
    """

    version: int
    key_id: int
    flags: int
    issued_at: int
    lifetime: int
    format: int = 1
    sealed_at: Optional[int] = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"envelope format {self.format}")
        if self.sealed_at is None:
            object.__setattr__(self, "sealed_at", self.issued_at)

    @property
    def header_len(self) -> int:
        return header_len(self.format)

    @property
    def version_byte(self) -> int:
        return self.version if self.format == 1 else self.version | FORMAT_2_BIT

    @property
    def age(self) -> int:
        return self.sealed_at - self.issued_at

    @property
    def browser_session(self) -> bool:
        return bool(self.flags & FLAG_BROWSER_SESSION)

    @property
    def has_flash(self) -> bool:
        return bool(self.flags & FLAG_FLASH)

    def unknown_flags(self) -> int:
        return self.flags & ~known_flags(self.format) & 0xFF

    def pack(self) -> bytes:
        if self.format == 1:
            return struct.pack(">BIBQI", self.version, self.key_id, self.flags, self.issued_at, self.lifetime)
        age = self.sealed_at - self.issued_at
        if not 0 <= age <= U32_MAX:
            raise ValueError("format 2 seals 0 to 2^32 - 1 seconds after the session began")
        return struct.pack(
            ">BIBQII", self.version | FORMAT_2_BIT, self.key_id, self.flags, self.issued_at, age, self.lifetime
        )

    @classmethod
    def unpack(cls, b: bytes) -> "Header":
        """The header at the start of `b` (an envelope, or the header alone): its
        format from the first byte, then that format's length. Flags are not
        checked here (see `unknown_flags` and `decode_header`)."""
        b = bytes(b)
        if not b:
            raise ValueError("shorter than the header")
        fmt = format_of_version_byte(b[0])
        if len(b) < header_len(fmt):
            raise ValueError("shorter than the header")
        if fmt == 1:
            return cls(*struct.unpack(">BIBQI", b[:HEADER_LEN]))
        v, kid, flags, created, age, lifetime = struct.unpack(">BIBQII", b[:HEADER_2_LEN])
        return cls(v & ~FORMAT_2_BIT, kid, flags, created, lifetime, 2, _sat(created, age))


def decode_header(cookie: str) -> Header:
    """Section 2.3: the header read from the cookie value alone.

    The first 24 characters (18 bytes); when their first byte names format 2, the
    first 32 (24 bytes: the 22 of the header and 2 of the nonce). Short values, bad
    base64url and flags unknown to the format are *malformed*.
    """
    try:
        if len(cookie) < HEADER_CHARS:
            raise ValueError("shorter than the header")
        hb = b64url_decode(cookie[:HEADER_CHARS])
        if format_of_version_byte(hb[0]) == 2:
            if len(cookie) < HEADER_2_CHARS:
                raise ValueError("shorter than the header")
            hb = b64url_decode(cookie[:HEADER_2_CHARS])
        header = Header.unpack(hb)
    except ValueError as e:
        raise OpenError("malformed", f"header: {e}") from None
    if header.unknown_flags():
        raise OpenError("malformed", f"unknown flags 0x{header.flags:02x} in format {header.format}")
    return header


def _sat(a: int, b: int) -> int:
    return min(a + b, U64_MAX)


def effective_expiry(issued_at: int, lifetime: int, max_age: Optional[int]) -> Optional[int]:
    """The absolute expiry: `issued_at + max_age`, cut to `issued_at + lifetime`."""
    if lifetime:
        e = _sat(issued_at, lifetime)
        if max_age:
            e = min(e, _sat(issued_at, max_age))
        return e
    if max_age:
        return _sat(issued_at, max_age)
    return None


def earliest(idle: Optional[int], absolute: Optional[int]) -> tuple[Optional[int], Optional[str]]:
    """The effective expiry and which limit gives it ("idle" or "absolute"; a tie is absolute)."""
    if idle is not None and absolute is not None and idle < absolute:
        return idle, "idle"
    if absolute is not None:
        return absolute, "absolute"
    if idle is not None:
        return idle, "idle"
    return None, None


# --------------------------------------------------------------------------- plaintext (section 5, step 1)


def compose_plaintext(
    fmt: int, value_bytes: bytes, session_id: Optional[bytes] = None, flash_bytes: Optional[bytes] = None
) -> bytes:
    """Format 1: the value alone. Format 2: session id || [u16 BE length || flash] || value."""
    if fmt == 1:
        if session_id is not None or flash_bytes is not None:
            raise SealError("flash", "envelope format 1 has no session id nor flash messages")
        return bytes(value_bytes)
    if session_id is None or len(session_id) != SESSION_ID_LEN:
        raise SealError("session_id", "a format 2 plaintext begins with a 16-byte session id")
    out = bytes(session_id)
    if flash_bytes is not None:
        if len(flash_bytes) > 0xFFFF:
            raise SealError("flash", "they take more than 65535 bytes")
        out += len(flash_bytes).to_bytes(2, "big") + bytes(flash_bytes)
    return out + bytes(value_bytes)


def split_plaintext(fmt: int, flags: int, plain: bytes) -> tuple[Optional[bytes], Optional[bytes], bytes]:
    """(session id, flash bytes, value bytes) of an authentic plaintext (section 6, step 12)."""
    if fmt == 1:
        return None, None, plain
    short = "plaintext shorter than its session id and flash"
    if len(plain) < SESSION_ID_LEN:
        raise OpenError("malformed", short)
    sid, rest = plain[:SESSION_ID_LEN], plain[SESSION_ID_LEN:]
    if not flags & FLAG_FLASH:
        return sid, None, rest
    if len(rest) < 2:
        raise OpenError("malformed", short)
    n = int.from_bytes(rest[:2], "big")
    rest = rest[2:]
    if len(rest) < n:
        raise OpenError("malformed", short)
    return sid, rest[:n], rest[n:]


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

    def render(self, expires_at: Optional[int], now: int) -> str:
        """The attributes after `name=value`; `expires_at` is the effective expiry
        written as Max-Age (and Expires), None for none (no lifetime, or a
        browser-session cookie)."""
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
        if expires_at is not None:
            parts.append(f"; Max-Age={max(expires_at - now, 0)}")
            if self.write_expires:
                parts.append(f"; Expires={imf_fixdate(expires_at)}")
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
class Facts:
    """What an opened cookie says about itself (the crate's `Facts`)."""

    format: int
    version: int
    key_id: int
    issued_at: int  # format 1: issued-at; format 2: created_at (when the session began)
    sealed_at: int  # format 1: issued-at
    session_id: Optional[bytes]
    lifetime: int
    idle_expires_at: Optional[int]
    absolute_expires_at: Optional[int]
    expires_at: Optional[int]
    ends_by: Optional[str]  # "idle", "absolute" or None
    browser_session: bool
    has_flash: bool
    compressed: bool
    padded: bool
    old_key: bool = False
    old_suite: bool = False
    old_format: bool = False
    renewal_due: bool = False
    needs_reissue: bool = False

    def to_json(self) -> dict:
        """The fields of the tool's `open --facts` (without the RFC 3339 copies and
        the suite name, which depend on the tool's table)."""
        return {
            "format": self.format,
            "version": self.version,
            "key_id": f"{self.key_id:08x}",
            "session_id": self.session_id.hex() if self.session_id is not None else None,
            "issued_at": self.issued_at,
            "sealed_at": self.sealed_at,
            "lifetime": self.lifetime,
            "idle_expires_at": self.idle_expires_at,
            "absolute_expires_at": self.absolute_expires_at,
            "expires_at": self.expires_at,
            "ends_by": self.ends_by,
            "browser_session": self.browser_session,
            "compressed": self.compressed,
            "padded": self.padded,
            "old_key": self.old_key,
            "old_suite": self.old_suite,
            "old_format": self.old_format,
            "renewal_due": self.renewal_due,
            "needs_reissue": self.needs_reissue,
        }


@dataclass
class Opened:
    value: Any
    plaintext: bytes  # the whole plaintext: in format 2 the session id and flash first
    header: Header
    expiry: Optional[int]
    needs_reissue: bool
    key_id: int
    facts: Optional[Facts] = None
    flash: dict = field(default_factory=dict)  # format 2 flash messages (empty when none)
    value_bytes: bytes = b""  # the serialized session value alone

    @property
    def compressed(self) -> bool:
        return bool(self.header.flags & FLAG_COMPRESSED)

    @property
    def padded(self) -> bool:
        return bool(self.header.flags & FLAG_PADDED)

    @property
    def session_id(self) -> Optional[bytes]:
        return self.facts.session_id if self.facts is not None else None


@dataclass
class Sealed:
    value: str
    expires_at: Optional[int]  # the effective expiry of the seal (earlier timeout)
    session_id: Optional[bytes]  # format 2


@dataclass
class _Plan:
    format: int
    issued_at: int
    sealed_at: int
    lifetime: int
    flags: int
    session_id: Optional[bytes]
    flash: Optional[dict]
    expires_at: Optional[int]
    counted_expiry: Optional[int]  # Max-Age and Expires as written (none for a browser-session cookie)


_FROM_HEADER = object()


class Codec:
    """Seals and opens cookies of one name under a keyring and registered suites.

    `max_age` is the absolute timeout (and the lifetime of a fresh cookie);
    `idle_timeout` ends a format 2 session not re-sealed for that long;
    `envelope_format` is the format that seals (2 by default, as the crate; both open).
    """

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
        idle_timeout: Optional[int] = None,
        envelope_format: int = 2,
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
        if idle_timeout is not None and not 1 <= int(idle_timeout) <= U32_MAX:
            raise ConfigError("idle_timeout must be 1 to 2^32 - 1 seconds")
        self.idle_timeout = int(idle_timeout) if idle_timeout is not None else None
        if renew_within is not None and self.idle_timeout is not None and renew_within >= self.idle_timeout:
            raise ConfigError("renew_within must be shorter than the idle timeout")
        if envelope_format not in FORMATS:
            raise ConfigError(f"envelope format {envelope_format}")
        self.envelope_format = envelope_format
        self.clock_skew = int(clock_skew)
        self.not_before = not_before
        self.renew_within = renew_within
        if budget > MAX_BUDGET:
            raise ConfigError("budget above 16 MiB")
        self.budget = budget
        self.max_value_len = budget if max_value_len is None else max_value_len
        self.decompression_cap = decompression_cap
        self.attributes = attributes if attributes is not None else Attributes()

    # -- lifecycle

    def expiries(self, fmt: int, issued_at: int, sealed_at: int, lifetime: int) -> tuple[Optional[int], Optional[int]]:
        """(idle expiry, absolute expiry): absolute = issued_at + max_age, cut to
        issued_at + lifetime when the cookie sealed one; idle = sealed_at +
        idle_timeout, in format 2 only."""
        absolute = effective_expiry(issued_at, lifetime, self.max_age)
        idle = _sat(sealed_at, self.idle_timeout) if fmt == 2 and self.idle_timeout else None
        return idle, absolute

    def expiry_of(self, header: Header) -> Optional[int]:
        """Max-Age and Expires of a cookie with this header: its effective expiry,
        none for a browser-session cookie."""
        if header.flags & FLAG_BROWSER_SESSION:
            return None
        return earliest(*self.expiries(header.format, header.issued_at, header.sealed_at, header.lifetime))[0]

    def _window(self) -> Optional[int]:
        if self.renew_within is not None:
            return self.renew_within
        return self.idle_timeout // 2 if self.idle_timeout else None

    def _renewal_due(self, now: int, expires_at: Optional[int], ends_by: Optional[str], fmt: int) -> bool:
        window = self._window()
        if window is None or expires_at is None:
            return False
        live = now < expires_at and expires_at - now < window
        return live if fmt == 1 else live and ends_by == "idle"

    def check_time(self, header: Header, now: int) -> Facts:
        """Steps 7 to 9 on an authentic header, and its facts (without old key/suite)."""
        # 7. revocation cutoff, on the session's creation time
        if self.not_before is not None and header.issued_at < self.not_before:
            raise OpenError("revoked")
        # 8. not yet valid, on the time of the seal
        if header.sealed_at > _sat(now, self.clock_skew):
            raise OpenError("not_yet_valid")
        # 9. the earlier of the idle and absolute expiries
        idle, absolute = self.expiries(header.format, header.issued_at, header.sealed_at, header.lifetime)
        expires_at, ends_by = earliest(idle, absolute)
        if expires_at is not None and not now < _sat(expires_at, self.clock_skew):
            if header.format == 1:
                raise OpenError("expired")
            raise OpenError("idle_expired" if ends_by == "idle" else "absolutely_expired")
        return Facts(
            format=header.format,
            version=header.version,
            key_id=header.key_id,
            issued_at=header.issued_at,
            sealed_at=header.sealed_at,
            session_id=None,
            lifetime=header.lifetime,
            idle_expires_at=idle,
            absolute_expires_at=absolute,
            expires_at=expires_at,
            ends_by=ends_by,
            browser_session=bool(header.flags & FLAG_BROWSER_SESSION),
            has_flash=bool(header.flags & FLAG_FLASH),
            compressed=bool(header.flags & FLAG_COMPRESSED),
            padded=bool(header.flags & FLAG_PADDED),
            old_format=header.format == 1 and self.envelope_format == 2,
            renewal_due=self._renewal_due(now, expires_at, ends_by, header.format),
        )

    # -- sealing (section 5)

    def _aad(self, header: bytes, suite: Suite) -> bytes:
        return header + suite.descriptor() + self.name_bytes

    def _plan(
        self,
        now: int,
        continues: Optional[Facts] = None,
        browser_session: bool = False,
        flash: Optional[dict] = None,
        session_id: Optional[bytes] = None,
    ) -> _Plan:
        # A format 2 session stays in format 2 under a format 1 writer: moving it
        # back would drop its id (and so its revocation) and its idle time.
        fmt = 2 if continues is not None and continues.format == 2 else self.envelope_format
        if flash is not None and not isinstance(flash, dict):
            raise SerializeError("flash messages are a map")
        flash = flash or None  # an empty set of flash messages is not written
        A = self._lifetime_cap(fmt)
        if continues is None:
            issued_at, lifetime = now, A or 0
        else:
            L = continues.lifetime
            if L == 0:
                lifetime = A or 0
            else:
                lifetime = min(L, A) if A else L
            # neither the opened cookie's expiry nor this codec's absolute limit
            # may have passed: the skew that let it open does not extend it
            _, absolute = self.expiries(fmt, continues.issued_at, now, lifetime)
            ends = [e for e in (continues.expires_at, absolute) if e is not None]
            if ends and now >= min(ends):
                raise SealError("already_expired", f"expired at {min(ends)}")
            issued_at = continues.issued_at
        sealed_at = max(now, issued_at)
        flags = 0
        if fmt == 1:
            if flash is not None:
                raise SealError("flash", "envelope format 1 has no place for them")
            sid = None
        else:
            if sealed_at - issued_at > U32_MAX:
                raise SealError("session_too_old", f"began at {issued_at}")
            if browser_session:
                flags |= FLAG_BROWSER_SESSION
            if flash is not None:
                flags |= FLAG_FLASH
            if session_id is not None:
                sid = bytes(session_id)
            elif continues is not None and continues.session_id is not None:
                sid = continues.session_id
            else:
                sid = secrets.token_bytes(SESSION_ID_LEN)
            if len(sid) != SESSION_ID_LEN:
                raise SealError("session_id", "a session id is 16 bytes")
        expires_at = earliest(*self.expiries(fmt, issued_at, sealed_at, lifetime))[0]
        return _Plan(fmt, issued_at, sealed_at, lifetime, flags, sid, flash, expires_at,
                     None if browser_session else expires_at)

    def _lifetime_cap(self, fmt: int) -> Optional[int]:
        """The lifetime a seal writes (and the cap of a re-issue's): the absolute
        timeout; in format 1, which records no seal time and so has no idle expiry,
        the idle timeout when no absolute one is set (never no expiry at all)."""
        if fmt == 1 and self.max_age is None:
            return self.idle_timeout
        return self.max_age

    def seal(self, value: Any, now: int, nonce: Optional[bytes] = None, **options: Any) -> str:
        """A fresh cookie (a new session) at `now`; `options` as `seal_session`."""
        return self.seal_session(value, now, nonce=nonce, **options).value

    def seal_session(
        self,
        value: Any,
        now: int,
        nonce: Optional[bytes] = None,
        *,
        continues: Optional[Facts] = None,
        browser_session: bool = False,
        flash: Optional[dict] = None,
        session_id: Optional[bytes] = None,
        compressed_payload: Optional[bytes] = None,
    ) -> Sealed:
        """Seals as the crate's `seal_session_at`: a new session, or the continuation
        of `continues` (its session id and creation time kept), as a browser-session
        cookie or not, with flash messages or not (format 2). `session_id` and
        `nonce` fix what is otherwise random (to reproduce vectors);
        `compressed_payload` as in `seal_plaintext`."""
        if isinstance(continues, Opened):
            continues = continues.facts
        plan = self._plan(now, continues, browser_session, flash, session_id)
        suite = self.suites[self.current]
        value_bytes = encode_value(suite.serializer, value)
        flash_bytes = encode_value(suite.serializer, plan.flash) if plan.flash is not None else None
        plaintext = compose_plaintext(plan.format, value_bytes, plan.session_id, flash_bytes)
        payload, flags = self._payload(suite, plaintext, compressed_payload)
        header = Header(suite.version, self.keyring.primary_id, plan.flags | flags, plan.issued_at,
                        plan.lifetime, plan.format, plan.sealed_at)
        cookie = self._finish(suite, header, payload, plan.sealed_at, nonce, expires_at=plan.counted_expiry)
        return Sealed(cookie, plan.expires_at, plan.session_id)

    def _payload(self, suite: Suite, plaintext: bytes, compressed_payload: Optional[bytes]) -> tuple[bytes, int]:
        """Steps 2 and 3 over the whole plaintext: compression, then padding."""
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
        return payload, flags

    def seal_plaintext(
        self,
        plaintext: bytes,
        now: int,
        nonce: Optional[bytes] = None,
        issued_at: Optional[int] = None,
        lifetime: Optional[int] = None,
        compressed_payload: Optional[bytes] = None,
        sealed_at: Optional[int] = None,
        extra_flags: int = 0,
    ) -> str:
        """Steps 2 to 9 from the whole plaintext, in the codec's envelope format
        (format 2: the plaintext holds the session id first, see
        `compose_plaintext`, and `extra_flags` the flags that describe it:
        0x04 browser-session, 0x08 flash).

        `compressed_payload` replaces the output of compression (to reproduce a
        vector whose compressed bytes are frozen); it is used only where step 2
        would compress.
        """
        suite = self.suites[self.current]
        payload, flags = self._payload(suite, plaintext, compressed_payload)
        fmt = self.envelope_format
        if issued_at is None:
            issued_at = now
        if lifetime is None:
            lifetime = self._lifetime_cap(fmt) or 0
        if fmt == 1:
            sealed_at = issued_at
        elif sealed_at is None:
            sealed_at = max(now, issued_at)
        header = Header(suite.version, self.keyring.primary_id, flags | extra_flags, issued_at, lifetime, fmt, sealed_at)
        return self._finish(suite, header, payload, now, nonce)

    def _finish(
        self, suite: Suite, header: Header, payload: bytes, now: int, nonce: Optional[bytes],
        expires_at: Any = _FROM_HEADER,
    ) -> str:
        aead = suite.aead
        if nonce is None:
            nonce = secrets.token_bytes(aead.nonce_len)
        if len(nonce) != aead.nonce_len:
            raise SealError("nonce", f"nonce must be {aead.nonce_len} bytes")
        hb = header.pack()
        subkey = aead.subkey(self.keyring.primary)
        ct, tag = aead.encrypt(subkey, nonce, self._aad(hb, suite), payload)
        cookie = b64url_encode(hb + nonce + ct + tag)
        if expires_at is _FROM_HEADER:
            expires_at = self.expiry_of(header)
        needed = len(f"{self.cookie_name}={cookie}" + self.attributes.render(expires_at, now))
        if needed > self.budget:
            raise TooLarge(needed, self.budget)
        return cookie

    def set_cookie(self, cookie: str, header: Header, now: int) -> str:
        """The Set-Cookie string section 11 writes for a cookie with this header
        sealed at `now`: Max-Age (and Expires) from its effective expiry under this
        codec's timeouts, none for a browser-session cookie."""
        return f"{self.cookie_name}={cookie}" + self.attributes.render(self.expiry_of(header), now)

    def reseal(self, opened: Opened, now: int, value: Any = None, nonce: Optional[bytes] = None) -> str:
        """Re-issue: primary key, current suite and format, the same session id,
        creation time and browser-session mark, a lifetime never longer."""
        v = opened.value if value is None else value
        return self.seal_session(
            v, now, nonce=nonce, continues=opened.facts, browser_session=opened.facts.browser_session
        ).value

    # -- opening (section 6)

    def _open_payload(self, cookie: str | bytes, now: int) -> tuple[bytes, Header, Suite, Facts]:
        """Steps 1 to 11: the authenticated, unpadded, decompressed plaintext and its facts."""
        # 1. length before any decoding, counted in bytes (as the budget is)
        n = len(cookie.encode("utf-8", "surrogatepass")) if isinstance(cookie, str) else len(cookie)
        if n > self.max_value_len:
            raise OpenError("too_long", f"{n} bytes")
        if not isinstance(cookie, str):
            try:
                cookie = bytes(cookie).decode("ascii")
            except UnicodeDecodeError:
                raise OpenError("malformed", "non-ASCII byte") from None
        # 2. the header on its own: 24 characters, or 32 for format 2
        header = decode_header(cookie)
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
        hl = header.header_len
        if len(env) < hl + aead.nonce_len + aead.tag_len:
            raise OpenError("malformed", "envelope too short")
        hb = env[:hl]
        nonce = env[hl : hl + aead.nonce_len]
        ct = env[hl + aead.nonce_len : len(env) - aead.tag_len]
        tag = env[len(env) - aead.tag_len :]
        # 6. one AEAD attempt
        try:
            payload = aead.decrypt(aead.subkey(key), nonce, self._aad(hb, suite), ct, tag)
        except ValueError:
            raise OpenError("authentication_failed") from None
        # 7 to 9. revocation, not yet valid, expiry
        facts = self.check_time(header, now)
        facts.old_key = header.key_id != self.keyring.primary_id
        facts.old_suite = header.version != self.current
        facts.needs_reissue = facts.old_key or facts.old_suite or facts.old_format or facts.renewal_due
        # 10. padding, whatever the suite's policy
        if header.flags & FLAG_PADDED:
            payload = unpad(payload)
        # 11. decompression
        if header.flags & FLAG_COMPRESSED:
            if suite.compressor != "zstd":
                raise OpenError("decompression_failed", "compressed flag under compressor none")
            payload = zstd_decompress(payload, self.decompression_cap, suite.dictionary)
        return payload, header, suite, facts

    def open_plaintext(self, cookie: str | bytes, now: int) -> tuple[bytes, Header, Suite, Optional[int]]:
        """Steps 1 to 12: the whole plaintext (format 2: session id and flash
        first), its header, suite and effective expiry; not deserialized."""
        plaintext, header, suite, facts = self._open_payload(cookie, now)
        split_plaintext(header.format, header.flags, plaintext)  # 12. the prefix is whole
        return plaintext, header, suite, facts.expires_at

    def open(self, cookie: str, now: int) -> Opened:
        plaintext, header, suite, facts = self._open_payload(cookie, now)
        # 12. the format 2 prefix: session id, flash messages
        sid, flash_bytes, value_bytes = split_plaintext(header.format, header.flags, plaintext)
        facts.session_id = sid
        # 13. deserialization: the flash messages (a map), then the value
        flash: dict = {}
        try:
            if flash_bytes is not None:
                flash = decode_value(suite.serializer, flash_bytes)
                if not isinstance(flash, dict):
                    raise DeserializeError("the flash messages are not a map")
            value = decode_value(suite.serializer, value_bytes)
        except DeserializeError as e:
            raise OpenError("deserialization_failed", str(e)) from None
        return Opened(value, plaintext, header, facts.expires_at, facts.needs_reissue, header.key_id,
                      facts, flash, value_bytes)


def decrypt_envelope(envelope: bytes, key: bytes, suite: Suite, cookie_name: str) -> bytes:
    """The raw AEAD payload of an envelope of either format (compressed and padded as sealed)."""
    aead = suite.aead
    hl = header_len(format_of_version_byte(envelope[0]))
    hb = envelope[:hl]
    nonce = envelope[hl : hl + aead.nonce_len]
    ct = envelope[hl + aead.nonce_len : len(envelope) - aead.tag_len]
    tag = envelope[len(envelope) - aead.tag_len :]
    aad = hb + suite.descriptor() + cookie_name.encode("ascii")
    return aead.decrypt(aead.subkey(key), nonce, aad, ct, tag)
