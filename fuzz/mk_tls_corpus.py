#!/usr/bin/env python3
"""mk_tls_corpus.py PCAP... : write fuzz/corpus/tls/ inputs (fuzz_tls.c's
format) from the TLS flows of real captures: each TCP flow whose client or
server bytes start with a TLS handshake record, or that holds one after a
plaintext start (STARTTLS), becomes one file named after its capture and
flow, with the first 16 KiB of each direction. Reads the captures with the
lab's independent reader (tests/lab/labpy/pcapflows.py)."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab", "labpy"))
import pcapflows  # noqa: E402

CAP = 16384


def has_tls(b):
    if len(b) > 3 and b[0] & 0x80 and b[2] in (1, 4):
        return True  # SSLv2 hello
    return any(b[i] == 0x16 and b[i + 1] == 3 and b[i + 2] <= 4 and b[i + 5] in (1, 2)
               for i in range(0, max(0, min(len(b), 600) - 6)))


def main():
    out = os.path.join(HERE, "corpus", "tls")
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in sys.argv[1:]:
        base = "%s-%s" % (os.path.basename(os.path.dirname(path)),
                          os.path.splitext(os.path.basename(path))[0])
        for i, st in enumerate(pcapflows.tcp_streams(path)):
            c, s = st.client_bytes[:CAP], st.server_bytes[:CAP]
            if not (has_tls(c) or has_tls(s)):
                continue
            opt = 0 if st.handshake else 1
            with open(os.path.join(out, "%s-%d" % (base, i)), "wb") as f:
                f.write(bytes([opt | (7 << 1)]) + struct.pack(">H", len(c)) + c + s)
            n += 1
    print("%d inputs written to %s" % (n, out))


if __name__ == "__main__":
    main()
