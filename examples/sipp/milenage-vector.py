#!/usr/bin/env python3
"""One AKA challenge for K/OP (TS 35.206 Milenage, with the TS 35.208 test set 1 check built in).

Prints RAND, AUTN, RES, CK, IK and the base64 nonce (RAND || AUTN) of an AKAv1-MD5 401, for the example's
network side (the SipPeers S-CSCF of the SIPp end-to-end test uses the values printed for the example K/OP).
Usage: milenage-vector.py K OP RAND SQN AMF   (hex)
Needs python3-cryptography.
"""
import base64
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def aes(k, x):
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    return e.update(x) + e.finalize()


def xor(a, b):
    return bytes(i ^ j for i, j in zip(a, b))


def rot(x, r):
    return x[r // 8:] + x[:r // 8]


def milenage(k, op, rand, sqn, amf):
    opc = xor(aes(k, op), op)
    temp = aes(k, xor(rand, opc))
    in1 = sqn + amf + sqn + amf
    c = [bytes(15) + bytes([v]) for v in (0, 1, 2, 4, 8)]
    r = [64, 0, 32, 64, 96]
    out1 = xor(aes(k, xor(rot(xor(in1, opc), r[0]), xor(temp, c[0]))), opc)
    mac_a = out1[:8]

    def f(i):
        return xor(aes(k, xor(rot(xor(temp, opc), r[i]), c[i])), opc)

    out2, out3, out4 = f(1), f(2), f(3)
    res, ak = out2[8:], out2[:6]
    ck, ik = out3, out4
    autn = xor(sqn, ak) + amf + mac_a
    return opc, res, ck, ik, autn


# TS 35.208 test set 1 first: refuse to print anything if this implementation is wrong.
_, res1, ck1, ik1, autn1 = milenage(bytes.fromhex("465b5ce8b199b49faa5f0a2ee238a6bc"),
                                    bytes.fromhex("cdc202d5123e20f62b6d676ac72cb318"),
                                    bytes.fromhex("23553cbe9637a89d218ae64dae47bf35"),
                                    bytes.fromhex("ff9bb4d0b607"), bytes.fromhex("b9b9"))
assert res1.hex() == "a54211d5e3ba50bf" and ck1.hex() == "b40ba9a3c58b2a05bbf0d987b21bf8cb"
assert ik1.hex() == "f769bcd751044604127672711c6d3441" and autn1.hex() == "55f328b43577b9b94a9ffac354dfafb3"

k, op, rand, sqn, amf = (bytes.fromhex(a) for a in sys.argv[1:6])
opc, res, ck, ik, autn = milenage(k, op, rand, sqn, amf)
print(f"OPc={opc.hex()}\nRAND={rand.hex()}\nAUTN={autn.hex()}\nRES={res.hex()}\nCK={ck.hex()}\nIK={ik.hex()}")
print("nonce=" + base64.b64encode(rand + autn).decode())
