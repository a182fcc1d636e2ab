#!/usr/bin/python3
"""Real protocol clients for the lab, built on Python's standard library.

usage: clients.py KIND ADDR PORT

KIND is one of: ftp, smtp, pop3, imap, telnet (one short session each) or
ftp-session, smtp-session, pop3-session, imap-session (log in, then one more
exchange on the SAME connection for every line read from stdin, until EOF:
the lab's mid-conversation mode feeds them through a FIFO).
Exit status 0 when the conversation went as the protocol says.
"""
import ftplib
import imaplib
import io
import poplib
import smtplib
import socket
import sys

TIMEOUT = 10
USER, PASSWORD = "lab", "labpass"  # the account the lab's servers are given


def ftp_open(addr, port):
    ftp = ftplib.FTP(timeout=TIMEOUT)
    ftp.connect(addr, port)
    ftp.login()  # anonymous
    return ftp


def ftp_more(ftp):
    ftp.pwd()
    ftp.nlst()
    buf = io.BytesIO()
    ftp.retrbinary("RETR readme.txt", buf.write)


def smtp_open(addr, port):
    smtp = smtplib.SMTP(timeout=TIMEOUT)
    smtp.connect(addr, port)
    smtp.ehlo("client.lab.test")
    return smtp


def smtp_more(smtp):
    smtp.noop()
    smtp.ehlo("client.lab.test")
    try:
        smtp.sendmail("lab@client.lab.test", ["postmaster@lab.test"],
                      "Subject: lab\r\n\r\nsvpassive lab message\r\n")
    except smtplib.SMTPException:
        pass  # a refused recipient is still a real exchange


def pop3_open(addr, port):
    pop = poplib.POP3(addr, port, timeout=TIMEOUT)
    pop.user(USER)
    pop.pass_(PASSWORD)
    return pop


def pop3_more(pop):
    pop.stat()
    pop.list()
    pop.noop()


def imap_open(addr, port):
    imap = imaplib.IMAP4(addr, port, timeout=TIMEOUT)
    imap.login(USER, PASSWORD)
    return imap


def imap_more(imap):
    imap.select("INBOX")
    imap.search(None, "ALL")
    imap.noop()


def telnet_once(addr, port):
    # telnetlib is deprecated but still in 3.11's stdlib; it answers the
    # server's option negotiation as a real telnet client does.
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import telnetlib
    tn = telnetlib.Telnet(addr, port, timeout=TIMEOUT)
    tn.read_until(b"login: ", timeout=TIMEOUT)
    tn.close()


SESSIONS = {
    "ftp": (ftp_open, ftp_more, lambda c: c.quit()),
    "smtp": (smtp_open, smtp_more, lambda c: c.quit()),
    "pop3": (pop3_open, pop3_more, lambda c: c.quit()),
    "imap": (imap_open, imap_more, lambda c: c.logout()),
}


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    kind, addr, port = argv[1], argv[2], int(argv[3])
    if kind == "telnet":
        telnet_once(addr, port)
        return 0
    session = kind.endswith("-session")
    base = kind[:-len("-session")] if session else kind
    if base not in SESSIONS:
        sys.stderr.write("clients.py: unknown kind %s\n" % kind)
        return 2
    opener, more, closer = SESSIONS[base]
    conn = opener(addr, port)
    more(conn)
    if session:
        # Idle between exchanges, as a long-lived client does; each stdin
        # line triggers one more exchange on this connection.
        for _ in sys.stdin:
            more(conn)
    closer(conn)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, ftplib.Error, smtplib.SMTPException,
            poplib.error_proto, imaplib.IMAP4.error, socket.timeout) as e:
        sys.stderr.write("clients.py: %s: %s\n" % (sys.argv[1], e))
        sys.exit(1)
