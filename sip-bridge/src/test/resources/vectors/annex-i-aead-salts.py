#!/usr/bin/env python3
"""Expected AES-GCM / AES-GMAC ESP keys for EspKeysTest, computed without esp4j.

TS 33.220 Annex B (B.2.0): S = FC || P0 || L0, derived key = HMAC-SHA-256(Key, S), Li a 16-bit big-endian length.
TS 33.203 Annex I: Key = CK || IK;
  AES-GMAC (RFC 4543 salt): FC = 0x58, P0 = "AES_GMAC_SALT" (L0 = 0x00 0x0D), IK_ESP = IK;
  AES-GCM  (RFC 4106 salt): FC = 0x59, P0 = "AES_GCM_SALT"  (L0 = 0x00 0x0C), CK_ESP = CK;
the salt is the 32 least significant bits of the 256-bit output; the ESP keying material is the AES key followed by
the salt. CK and IK are TS 35.208 test set 1's f3 and f4.
Run: python3 annex-i-aead-salts.py
"""
import hashlib
import hmac

CK = bytes.fromhex("b40ba9a3c58b2a05bbf0d987b21bf8cb")
IK = bytes.fromhex("f769bcd751044604127672711c6d3441")


def kdf(key, fc, *params):
    s = bytes([fc])
    for p in params:
        s += p + len(p).to_bytes(2, "big")
    return hmac.new(key, s, hashlib.sha256).digest()


for name, fc, p0, aes_key in (("aes-gcm", 0x59, b"AES_GCM_SALT", CK), ("aes-gmac", 0x58, b"AES_GMAC_SALT", IK)):
    out = kdf(CK + IK, fc, p0)
    salt = out[-4:]
    print(f"{name}: fc=0x{fc:02x} p0={p0.decode()} kdf={out.hex()} salt={salt.hex()} esp-key={(aes_key + salt).hex()}")
