#!/usr/bin/env python3
"""Expected AES-GCM-ESP (RFC 4106) and AES-GMAC-ESP (RFC 4543) outputs at every plaintext length from 0 to 300 bytes,
computed with pyca/cryptography's AESGCM (OpenSSL), for AesGcmLengthsTest.

Regenerate:  /usr/bin/python3 make_esp_gcm_lengths.py > esp_gcm_lengths.txt

Per length L (one line, fields separated by one space):
  L  key||salt  iv  ciphertext  tag(GCM)  tag(GCM, ESN)  tag(GMAC)  tag(GMAC, ESN)
Inputs, all derived from L so the test rebuilds them:
  AES key length   16, 24, 32 bytes for L % 3 == 0, 1, 2; key byte i = (L * 31 + i * 7 + 1) & 0xff
  salt             4 bytes, byte i = (L + 0xa0 + i) & 0xff
  iv               8 bytes, byte i = (L * 13 + i * 29 + 5) & 0xff
  plaintext        L bytes, byte i = (i * 7 + L) & 0xff
  SPI              0x8a0b0c0d (above 2^31), sequence number high half 0x00000002, low half 0xfffffff0 + (L % 16)
Nonce = salt || iv (RFC 4106 §4). AAD (RFC 4106 §5): SPI || seq low, or with ESN SPI || seq high || seq low.
GMAC (RFC 4543 §3): AAD = the same header fields || iv || plaintext, nothing encrypted.
Tags are the full 16 bytes; an 8- or 12-byte ICV is their prefix (RFC 4106 §6).
"""
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SPI = bytes.fromhex("8a0b0c0d")
SEQ_HIGH = bytes.fromhex("00000002")


def inputs(length):
    key = bytes((length * 31 + i * 7 + 1) & 0xFF for i in range((16, 24, 32)[length % 3]))
    salt = bytes((length + 0xA0 + i) & 0xFF for i in range(4))
    iv = bytes((length * 13 + i * 29 + 5) & 0xFF for i in range(8))
    plaintext = bytes((i * 7 + length) & 0xFF for i in range(length))
    seq_low = (0xFFFFFFF0 + (length % 16)).to_bytes(4, "big")
    return key, salt, iv, plaintext, seq_low


def main():
    for length in range(301):
        key, salt, iv, plaintext, seq_low = inputs(length)
        gcm = AESGCM(key)
        nonce = salt + iv
        sealed = gcm.encrypt(nonce, plaintext, SPI + seq_low)
        sealed_esn = gcm.encrypt(nonce, plaintext, SPI + SEQ_HIGH + seq_low)
        assert sealed[:-16] == sealed_esn[:-16]
        gmac = gcm.encrypt(nonce, b"", SPI + seq_low + iv + plaintext)
        gmac_esn = gcm.encrypt(nonce, b"", SPI + SEQ_HIGH + seq_low + iv + plaintext)
        ciphertext = sealed[:-16].hex() or "-"
        print(length, (key + salt).hex(), iv.hex(), ciphertext, sealed[-16:].hex(), sealed_esn[-16:].hex(),
              gmac.hex(), gmac_esn.hex())


if __name__ == "__main__":
    main()
