#!/usr/bin/env python3
"""tls_lab_check.py WORKDIR ADDR HOST: compare svpassive's TLS inventory of
the TLS lab (test_tls_lab.sh) with openssl's view of the lab's certificate
files and with nmap's ssl-cert script for the same servers.

WORKDIR holds out.jsonl (svpassive -oJ), out.xml (-oX), nmap.xml (nmap -sV
--script ssl-cert), server.txt / ca.txt (openssl x509 -noout -text) and
fingerprints.txt (openssl x509 -fingerprint -sha256/-sha1/-md5, -serial).
Prints one line per check; exit 1 if any failed."""
import datetime
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

fails = 0


def check(cond, what):
    global fails
    print(("ok: " if cond else "FAIL: ") + what)
    fails += 0 if cond else 1


def openssl_view(text_path, fps, which):
    """Fields of one certificate as `openssl x509 -noout -text` prints them."""
    t = open(text_path).read()
    v = {}
    v["subject"] = re.search(r"Subject: (.*)", t).group(1).strip()
    v["issuer"] = re.search(r"Issuer: (.*)", t).group(1).strip()
    v["sig_algo"] = re.search(r"Signature Algorithm: (\S+)", t).group(1)
    v["bits"] = int(re.search(r"Public-Key: \((\d+) bit\)", t).group(1))
    v["key_type"] = "rsa" if "rsaEncryption" in t else "ec" if "id-ecPublicKey" in t else "?"
    m = re.search(r"X509v3 Subject Alternative Name:\s*\n\s*(.*)", t)
    v["san"] = m.group(1).strip() if m else None
    for k, pat in (("not_before", r"Not Before: (.*)"), ("not_after", r"Not After : (.*)")):
        s = re.search(pat, t).group(1).strip()
        d = datetime.datetime.strptime(s, "%b %d %H:%M:%S %Y GMT")
        v[k] = d.strftime("%Y-%m-%dT%H:%M:%S")
    block = fps[which]
    for h in ("sha256", "sha1", "md5"):
        v[h] = block[h].replace(":", "").lower()
    v["serial"] = block["serial"]
    return v


def read_fps(path):
    """fingerprints.txt: server's four lines, then the CA's."""
    lines = [l.strip() for l in open(path) if l.strip()]
    out = {}
    for i, which in enumerate(("server", "ca")):
        blk = {}
        for l in lines[4 * i:4 * i + 4]:
            k, _, val = l.partition("=")
            k = k.lower()
            if "sha256" in k:
                blk["sha256"] = val
            elif "sha1" in k:
                blk["sha1"] = val
            elif "md5" in k:
                blk["md5"] = val
            elif k == "serial":
                blk["serial"] = val
        out[which] = blk
    return out


def dn_text(name):
    """svpassive's name object in openssl's one-line order-free form: a set
    of 'short=value' pairs compared with openssl's 'C = DE, O = ...'."""
    short = {"countryName": "C", "stateOrProvinceName": "ST", "localityName": "L",
             "organizationName": "O", "organizationalUnitName": "OU", "commonName": "CN"}
    return {"%s=%s" % (short.get(k, k), v) for k, v in name.items()}


def openssl_dn(s):
    return {p.strip().replace(" = ", "=") for p in s.split(", ")}


def nmap_certs(path, addr):
    """port -> {elem path: value} of nmap's ssl-cert script."""
    out = {}
    root = ET.parse(path).getroot()
    for host in root.iter("host"):
        if not any(a.get("addr") == addr for a in host.iter("address")):
            continue
        for port in host.iter("port"):
            for sc in port.iter("script"):
                if sc.get("id") != "ssl-cert":
                    continue
                d = {}

                def walk(el, prefix):
                    for ch in el:
                        key = ch.get("key")
                        p = prefix + [key] if key else prefix
                        if ch.tag == "elem":
                            d["/".join(p)] = (ch.text or "")
                        else:
                            walk(ch, p)
                walk(sc, [])
                d["_exts"] = {}
                ext = sc.find("table[@key='extensions']")
                if ext is not None:
                    for t in ext.findall("table"):
                        n = t.find("elem[@key='name']")
                        val = t.find("elem[@key='value']")
                        if n is not None and val is not None:
                            d["_exts"][n.text] = val.text
                out[int(port.get("portid"))] = d
    return out


def nmap_time(s):
    """nmap prints validity as 2024-01-31T23:59:59 (maybe with +00:00)."""
    return s[:19] if s else s


def main():
    w, addr, host = sys.argv[1:4]
    fps = read_fps(os.path.join(w, "fingerprints.txt"))
    srv = openssl_view(os.path.join(w, "server.txt"), fps, "server")
    ca = openssl_view(os.path.join(w, "ca.txt"), fps, "ca")
    eps = {}
    for line in open(os.path.join(w, "out.jsonl")):
        e = json.loads(line)
        if e["addr"] == addr and e["proto"] == "tcp":
            eps[e["port"]] = e
    nm = nmap_certs(os.path.join(w, "nmap.xml"), addr)

    clear = [443, 25, 143, 8883, 5432]   # certificate in clear (TLS 1.2)
    for port in clear + [8443]:
        e = eps.get(port)
        check(e is not None and e["tls"] is not None, "%d: endpoint with TLS" % port)
        if not e or not e["tls"]:
            continue
        t = e["tls"]
        want_v = "TLSv1.3" if port == 8443 else "TLSv1.2"
        check(t["version"] == want_v, "%d: version %s (got %s)" % (port, want_v, t["version"]))
        check(t["cipher"] is not None and t["ja3s"] is not None, "%d: cipher and JA3S" % port)
        check(len(t["clients"]) >= 1 and all(c["ja4"] and c["ja3"] for c in t["clients"]),
              "%d: client JA4 and JA3" % port)
        if port == 8443:
            check(t["certificate_encrypted"] and not t["certificates"],
                  "8443: TLS 1.3 certificate reported as encrypted")
            continue
        check(len(t["certificates"]) == 1, "%d: one certificate" % port)
        if not t["certificates"]:
            continue
        c = t["certificates"][0]
        n = nm.get(port, {})
        check(bool(n), "%d: nmap's ssl-cert has the port" % port)
        # against openssl's view of the file
        check(dn_text(c["subject"]) == openssl_dn(srv["subject"]),
              "%d: subject = openssl (%s)" % (port, srv["subject"]))
        check(dn_text(c["issuer"]) == openssl_dn(srv["issuer"]),
              "%d: issuer = openssl (%s)" % (port, srv["issuer"]))
        check(c["san"] == srv["san"], "%d: SAN = openssl (%s; got %s)" % (port, srv["san"], c["san"]))
        for k in ("sig_algo", "not_before", "not_after", "sha256", "sha1", "md5", "serial"):
            check(c[k] == srv[k], "%d: %s = openssl (%s; got %s)" % (port, k, srv[k], c[k]))
        check(c["pubkey"]["bits"] == srv["bits"] and c["pubkey"]["type"] == srv["key_type"],
              "%d: key %s %d = openssl" % (port, srv["key_type"], srv["bits"]))
        check(not c["self_signed"] and not c["expired"], "%d: not self-signed, not expired" % port)
        # against nmap's ssl-cert elements
        for k, v in c["subject"].items():
            check(n.get("subject/" + k) == v, "%d: subject %s = nmap" % (port, k))
        for k, v in c["issuer"].items():
            check(n.get("issuer/" + k) == v, "%d: issuer %s = nmap" % (port, k))
        check(n.get("pubkey/type") == c["pubkey"]["type"] and
              n.get("pubkey/bits") == str(c["pubkey"]["bits"]), "%d: pubkey = nmap" % port)
        check(n.get("sig_algo") == c["sig_algo"], "%d: sig_algo = nmap" % port)
        check(nmap_time(n.get("validity/notBefore")) == c["not_before"] and
              nmap_time(n.get("validity/notAfter")) == c["not_after"],
              "%d: validity = nmap (%s..%s)" % (port, n.get("validity/notBefore"),
                                                n.get("validity/notAfter")))
        check(n.get("md5") == c["md5"] and n.get("sha1") == c["sha1"], "%d: md5, sha1 = nmap" % port)
        check(n.get("_exts", {}).get("X509v3 Subject Alternative Name") == c["san"],
              "%d: SAN = nmap's extension" % port)
        if port == 443:
            check(len(c["chain"]) == 1 and c["chain"][0]["sha256"] == ca["sha256"] and
                  c["chain"][0]["self_signed"], "443: chain holds the lab CA (self-signed)")
            check(c["sni"] == host, "443: SNI %s" % host)

    # the service inside the tunnel, and the upgrades
    def ep(p):
        return eps.get(p) or {}
    check(ep(443).get("service") == "http" and ep(443).get("tunnel") == "ssl" and
          ep(443).get("tunnel_from") == "alpn", "443: ssl/http from ALPN (got %s/%s from %s)" %
          (ep(443).get("tunnel"), ep(443).get("service"), ep(443).get("tunnel_from")))
    check(ep(8883).get("tunnel") == "ssl" and ep(8883).get("tunnel_from") == "port" and
          ep(8883).get("service") == "secure-mqtt", "8883: ssl/secure-mqtt from the port (got %s)"
          % ep(8883).get("service"))
    for p, svc, up in ((25, "smtp", "starttls"), (143, "imap", "starttls")):
        e = ep(p)
        check(e.get("service") == svc and e.get("match") == "hard" and
              (e.get("tls") or {}).get("starttls") == up,
              "%d: %s identified from the plaintext, upgrade %s noted" % (p, svc, up))
    check((ep(5432).get("tls") or {}).get("starttls") == "postgresql-sslrequest",
          "5432: PostgreSQL SSLRequest noted")
    # XML: nmap's script id and element names
    x = ET.parse(os.path.join(w, "out.xml")).getroot()
    ids = [s.get("id") for s in x.iter("script")]
    check(ids.count("ssl-cert") == len(clear), "XML: %d ssl-cert scripts (got %d)" %
          (len(clear), ids.count("ssl-cert")))
    print("%d checks failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
