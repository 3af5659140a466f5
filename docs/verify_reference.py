#!/usr/bin/env python3
"""Independent reference check of the zegel log format, written from docs/log-format.md.

It uses only the Python standard library (hashlib, json, base64). It reads the golden
vectors from log-format.md, rebuilds every record encoding from the vector's JSON,
recomputes the genesis hash and the hash chain, the checkpoint message and key id, and
checks the key files. When the `cryptography` package is importable it also derives the
public key from the test seed and verifies (and re-creates) the Ed25519 signature.

    python3 docs/verify_reference.py                    # check every vector
    python3 docs/verify_reference.py --layout record-3  # print a byte-by-byte layout

It shares no code with the Rust implementation on purpose: it shows that the page alone
is enough to write a verifier.
"""

import base64
import hashlib
import json
import pathlib
import sys

DOC = pathlib.Path(__file__).with_name("log-format.md")

FORMAT_VERSION = 1
GENESIS_DOMAIN = b"zegel.genesis.v1"
CHECKPOINT_DOMAIN = b"zegel.checkpoint.v1"
KINDS = {"access", "outcome", "policy-load", "start", "stop", "notice"}
DECISIONS = {"allow", "deny", "emergency", "would-deny", "reject"}
ACTIONS = {"C", "R", "U", "D", "E"}

# Every field after the version byte and seq, in encoding order, with its wire type:
# i64 = 8 bytes big-endian signed; str = u32be length + UTF-8; opt-str / opt-i64 = one
# presence byte (0 absent, 1 present) then the value; roles = u32be count + str each.
FIELDS = [
    ("time_us", "i64"),
    ("kind", "str"),
    ("request_id", "opt-str"),
    ("user_id", "opt-str"),
    ("user_name", "opt-str"),
    ("roles", "roles"),
    ("organisation", "opt-str"),
    ("department", "opt-str"),
    ("responsible_user", "opt-str"),
    ("purpose_of_use", "opt-str"),
    ("access_point", "opt-str"),
    ("application", "opt-str"),
    ("method", "opt-str"),
    ("path", "opt-str"),
    ("raw_path", "opt-str"),
    ("interaction", "opt-str"),
    ("action", "opt-str"),
    ("resource_type", "opt-str"),
    ("resource_id", "opt-str"),
    ("patient_id", "opt-str"),
    ("patient_id_system", "opt-str"),
    ("decision", "opt-str"),
    ("rule", "opt-str"),
    ("reason", "opt-str"),
    ("emergency_justification", "opt-str"),
    ("policy_version", "opt-str"),
    ("status", "opt-i64"),
    ("bytes", "opt-i64"),
    ("duration_us", "opt-i64"),
    ("links_seq", "opt-i64"),
    ("detail", "opt-str"),
]
FIELD_NAMES = {name for name, _ in FIELDS}


class Malformed(Exception):
    """The record is not a valid version-1 record."""


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def u32(n):
    if not 0 <= n <= 0xFFFFFFFF:
        raise Malformed(f"length {n} does not fit in u32")
    return n.to_bytes(4, "big")


def u64(n):
    if not is_int(n) or not 0 <= n < 2**64:
        raise Malformed(f"{n!r} is not a u64")
    return n.to_bytes(8, "big")


def i64(n):
    if not is_int(n) or not -(2**63) <= n < 2**63:
        raise Malformed(f"{n!r} is not an i64")
    return n.to_bytes(8, "big", signed=True)


def string(s):
    if not isinstance(s, str):
        raise Malformed(f"{s!r} is not a string")
    b = s.encode("utf-8")  # raises on lone surrogates: not valid UTF-8
    return u32(len(b)) + b


def check_record(rec):
    """Checks what a verifier must reject as malformed (before hashing)."""
    unknown = set(rec) - FIELD_NAMES
    if unknown:
        raise Malformed(f"unknown fields {sorted(unknown)}")
    for name in ("time_us", "kind"):
        if rec.get(name) is None:
            raise Malformed(f"{name} is required")
    if rec["kind"] not in KINDS:
        raise Malformed(f"unknown kind {rec['kind']!r}")
    if rec.get("action") not in ACTIONS | {None}:
        raise Malformed(f"unknown action {rec['action']!r}")
    if rec.get("decision") not in DECISIONS | {None}:
        raise Malformed(f"unknown decision {rec['decision']!r}")
    roles = rec.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Malformed("roles is not a list of strings")
    as_bytes = [r.encode("utf-8") for r in roles]
    # Canonical order: strictly increasing by UTF-8 bytes (sorted, no duplicates).
    if any(a >= b for a, b in zip(as_bytes, as_bytes[1:])):
        raise Malformed("roles are not in canonical order (sorted, no duplicates)")


def encode(seq, rec):
    """The canonical encoding v1 of record `seq` (`rec`: the JSON object of the record)."""
    check_record(rec)
    out = bytearray([FORMAT_VERSION]) + u64(seq)
    for name, wire in FIELDS:
        v = rec.get(name, [] if wire == "roles" else None)
        if wire == "i64":
            out += i64(v)
        elif wire == "str":
            out += string(v)
        elif wire == "roles":
            out += u32(len(v)) + b"".join(string(r) for r in v)
        elif v is None:
            out += b"\x00"
        elif wire == "opt-str":
            out += b"\x01" + string(v)
        else:  # opt-i64
            out += b"\x01" + i64(v)
    return bytes(out)


def genesis_input(chain_id):
    return GENESIS_DOMAIN + string(chain_id)


def genesis(chain_id):
    return hashlib.sha256(genesis_input(chain_id)).digest()


def record_hash(prev, seq, rec):
    return hashlib.sha256(prev + encode(seq, rec)).digest()


def checkpoint_message(chain_id, seq, head, time_us):
    if len(head) != 32:
        raise Malformed("head is not 32 bytes")
    return CHECKPOINT_DOMAIN + string(chain_id) + u64(seq) + head + i64(time_us)


def key_id(public_key):
    return hashlib.sha256(public_key).digest()[:8].hex()


# DER prefixes of Ed25519 key files (RFC 8410): SPKI, and PKCS#8 v2 (RFC 5958).
SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
PKCS8_V2_PREFIX = bytes.fromhex("3051020101300506032b657004220420")
PKCS8_V2_PUBLIC = bytes.fromhex("812100")
PKCS8_V1_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def pem_der(text, label):
    lines = text.strip().splitlines()
    if lines[0] != f"-----BEGIN {label}-----" or lines[-1] != f"-----END {label}-----":
        raise Malformed(f"not a {label} PEM")
    return base64.b64decode("".join(lines[1:-1]), validate=True)


def public_key_from_spki_pem(text):
    der = pem_der(text, "PUBLIC KEY")
    if len(der) != 44 or not der.startswith(SPKI_PREFIX):
        raise Malformed("not an Ed25519 SPKI public key")
    return der[12:]


def seed_from_pkcs8_pem(text):
    """Returns (seed, public key or None)."""
    der = pem_der(text, "PRIVATE KEY")
    if len(der) == 48 and der.startswith(PKCS8_V1_PREFIX):
        return der[16:], None
    if len(der) == 83 and der.startswith(PKCS8_V2_PREFIX) and der[48:51] == PKCS8_V2_PUBLIC:
        return der[16:48], der[51:]
    raise Malformed("not an Ed25519 PKCS#8 private key")


# --- reading the page ---------------------------------------------------------------

def text_blocks(doc):
    blocks, current = [], None
    for line in doc.splitlines():
        if current is None:
            if line.rstrip() == "```text":
                current = []
        elif line.strip() == "```":
            blocks.append(current)
            current = None
        else:
            current.append(line)
    assert current is None, "unterminated ```text block"
    return blocks


def vectors(doc):
    out = {}
    for block in text_blocks(doc):
        if not block or not block[0].startswith("vector:"):
            continue
        name = block[0].split(":", 1)[1].strip()
        fields = {}
        for line in block[1:]:
            if line.strip():
                key, value = line.split(":", 1)
                assert key.strip() not in fields, f"{name}: {key} twice"
                fields[key.strip()] = value.strip()
        assert name not in out, f"vector {name} twice"
        out[name] = fields
    return out


# --- checks -------------------------------------------------------------------------

def check(doc):
    vs = vectors(doc)
    expected = ["genesis-1", "record-1", "record-2", "record-3", "checkpoint-1"]
    assert list(vs) == expected, f"vectors found: {list(vs)}"

    g = vs["genesis-1"]
    chain_id = g["chain_id"]
    assert genesis_input(chain_id).hex() == g["input"], "genesis input"
    assert genesis(chain_id).hex() == g["hash"], "genesis hash"
    print(f"genesis-1     ok  {g['hash']}")

    prev, hashes = genesis(chain_id), {}
    for name in expected[1:4]:
        v = vs[name]
        seq = int(v["seq"])
        assert v["chain_id"] == chain_id and seq == len(hashes) + 1, name
        assert bytes.fromhex(v["prev"]) == prev, f"{name}: prev"
        rec = json.loads(v["json"])
        assert encode(seq, rec).hex() == v["encoding"], f"{name}: encoding"
        h = record_hash(prev, seq, rec)
        assert h.hex() == v["hash"], f"{name}: hash"
        hashes[seq], prev = h, h
        print(f"{name:13} ok  {v['hash']}")

    # Tampering must be visible: unsorted roles are malformed, any edit changes the hash.
    rec2 = json.loads(vs["record-2"]["json"])
    try:
        encode(2, dict(rec2, roles=list(reversed(rec2["roles"]))))
        raise AssertionError("unsorted roles accepted")
    except Malformed:
        pass
    assert record_hash(hashes[1], 2, dict(rec2, reason=None)) != hashes[2], "absent == empty"

    c = vs["checkpoint-1"]
    public_key, head = bytes.fromhex(c["public_key"]), bytes.fromhex(c["head"])
    seq, time_us = int(c["seq"]), int(c["time_us"])
    assert c["chain_id"] == chain_id and head == hashes[seq], "checkpoint head"
    assert key_id(public_key) == c["key_id"], "key id"
    message = checkpoint_message(c["chain_id"], seq, head, time_us)
    assert message.hex() == c["message"], "checkpoint message"
    line = json.loads(c["file_line"])
    assert list(line) == ["chain_id", "seq", "head", "time_us", "key_id", "signature"]
    assert line == {"chain_id": chain_id, "seq": seq, "head": c["head"], "time_us": time_us,
                    "key_id": c["key_id"], "signature": c["signature"]}, "file line"

    pems = [b for b in text_blocks(doc) if b and b[0].startswith("-----BEGIN ")]
    assert len(pems) == 2, "one private and one public key file"
    seed, embedded = seed_from_pkcs8_pem("\n".join(pems[0]))
    assert seed.hex() == c["seed"], "private key file holds the seed"
    assert embedded in (None, public_key), "private key file's public key"
    assert public_key_from_spki_pem("\n".join(pems[1])) == public_key, "public key file"

    layouts = [b for b in text_blocks(doc) if b and b[0].startswith("layout:")]
    targets = [b[0].split(":", 1)[1].strip() for b in layouts]
    assert targets == ["record-2", "record-3"], f"layout blocks: {targets}"
    for target, block in zip(targets, layouts):
        dumped = "".join(ln.split("#")[0].replace(" ", "") for ln in block[1:])
        assert dumped == vs[target]["encoding"], f"layout of {target} != its encoding"

    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey, Ed25519PublicKey)
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    except ImportError:
        print("checkpoint-1  ok  (message, key id; `cryptography` not installed: "
              "signature not checked)")
        return
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(c["seed"]))
    derived = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert derived == public_key, "public key from seed"
    signature = bytes.fromhex(c["signature"])
    assert private.sign(message) == signature, "deterministic signature"
    Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    bad = bytearray(signature)
    bad[0] ^= 1
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes(bad), message)
        raise AssertionError("flipped signature verifies")
    except InvalidSignature:
        pass
    print("checkpoint-1  ok  (signature verified with `cryptography`)")


def layout(doc, name):
    """Prints record `name`'s encoding one field per line (for the page's layout blocks)."""
    v = vectors(doc)[name]
    rec, seq = json.loads(v["json"]), int(v["seq"])

    def show(parts, comment):
        print(" ".join(p for p in parts if p) + "  # " + comment)

    def text(s):
        b = string(s)
        return [b[:4].hex(), b[4:].hex()]

    print(f"layout: {name}")
    show([f"{FORMAT_VERSION:02x}"], "version")
    show([u64(seq).hex()], f"seq = {seq}")
    for field, wire in FIELDS:
        value = rec.get(field, [] if wire == "roles" else None)
        present = ["01"] if wire.startswith("opt-") else []
        if wire == "roles":
            show([u32(len(value)).hex()], f"roles: count {len(value)}")
            for r in value:
                show(text(r), f"  role {r!r}")
        elif value is None:
            show(["00"], f"{field}: absent")
        elif wire in ("i64", "opt-i64"):
            show(present + [i64(value).hex()], f"{field} = {value}")
        else:
            show(present + text(value), f"{field} = {value!r}")


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    if len(sys.argv) == 3 and sys.argv[1] == "--layout":
        layout(text, sys.argv[2])
    else:
        check(text)
        print("all vectors match")
