"""Read the Probe lines of nmap-service-probes and unescape their payloads.

Only what the lab needs: probe protocol, name and payload bytes, plus
totalwaitms; and whether a given line is a match or a softmatch.  Escapes follow nmap's cstring_unescape: \\0 is NUL (never
octal), \\a \\b \\f \\n \\r \\t \\v, \\xHH with exactly two hex digits, and a
backslash before any non-alphanumeric character stands for that character.
"""

DEFAULT_FILE = "/usr/share/nmap/nmap-service-probes"

_SIMPLE = {"0": 0, "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


def unescape(text):
    """Return the bytes nmap sends for a probe payload written as TEXT."""
    out = bytearray()
    raw = text.encode("latin-1")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:  # backslash
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(raw):
            raise ValueError("payload ends with a lone backslash")
        e = chr(raw[i + 1])
        if e in _SIMPLE:
            out.append(_SIMPLE[e])
            i += 2
        elif e == "x":
            digits = raw[i + 2:i + 4].decode("latin-1")
            if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError("\\x needs two hex digits")
            out.append(int(digits, 16))
            i += 4
        elif e.isalnum():
            raise ValueError("unknown escape \\%s" % e)
        else:
            out.append(ord(e))
            i += 2
    return bytes(out)


class Probe:
    def __init__(self, proto, name, payload, line):
        self.proto = proto          # "tcp" or "udp"
        self.name = name
        self.payload = payload      # bytes
        self.line = line
        self.totalwaitms = 6000 if name == "NULL" else 5000


def load(path=DEFAULT_FILE):
    """Map (proto, name) -> Probe for every Probe line of PATH."""
    probes = {}
    current = None
    with open(path, "rb") as f:
        for lineno, rawline in enumerate(f, 1):
            line = rawline.decode("latin-1").rstrip("\r\n")
            if line.startswith("Probe "):
                parts = line.split(" ", 3)
                proto, name, rest = parts[1].lower(), parts[2], parts[3]
                if not rest.startswith("q") or len(rest) < 2:
                    raise ValueError("%s:%d: bad Probe line" % (path, lineno))
                delim = rest[1]
                end = rest.index(delim, 2)
                current = Probe(proto, name, unescape(rest[2:end]), lineno)
                probes[(proto, name)] = current
            elif line.startswith("totalwaitms ") and current is not None:
                current.totalwaitms = int(line.split()[1])
    return probes


def line_kind(lineno, path=DEFAULT_FILE):
    """"hard" or "soft" for the match/softmatch directive at line LINENO of
    PATH (nmap's --version-trace prints a softmatch that ends the scan as
    "Service scan match", so the trace alone cannot tell); None otherwise."""
    with open(path, "rb") as f:
        for n, rawline in enumerate(f, 1):
            if n == lineno:
                word = rawline.decode("latin-1").split(" ", 1)[0]
                return {"match": "hard", "softmatch": "soft"}.get(word)
    return None
