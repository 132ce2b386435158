#!/usr/bin/env python3
"""Expected AES-GCM / AES-GMAC ESP keys for EspKeysTest, computed without esp4j.

TS 33.220 Annex B (B.2.0): S = FC || P0 || L0, derived key = HMAC-SHA-256(Key, S), Li a 16-bit big-endian length.
TS 33.203 Annex I as esp4j reads it: Key = CK || IK, FC = 0x5A, P0 = the Annex H algorithm name in ASCII; the salt
is the 32 least significant bits of the output; the ESP key is CK (aes-gcm) or IK (aes-gmac) followed by the salt.
CK and IK are TS 35.208 test set 1's f3 and f4.
Run: python3 annex-i-aead-salts.py
"""
import hashlib
import hmac

CK = bytes.fromhex("b40ba9a3c58b2a05bbf0d987b21bf8cb")
IK = bytes.fromhex("f769bcd751044604127672711c6d3441")
FC = 0x5A


def kdf(key, fc, *params):
    s = bytes([fc])
    for p in params:
        s += p + len(p).to_bytes(2, "big")
    return hmac.new(key, s, hashlib.sha256).digest()


for name, aes_key in (("aes-gcm", CK), ("aes-gmac", IK)):
    out = kdf(CK + IK, FC, name.encode("ascii"))
    salt = out[-4:]
    print(f"{name}: kdf={out.hex()} salt={salt.hex()} esp-key={(aes_key + salt).hex()}")
