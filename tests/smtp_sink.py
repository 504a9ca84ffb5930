"""A real SMTP server for wartesaal's tests, on aiosmtpd (Debian: python3-aiosmtpd).

Usage: smtp_sink.py PORT DIR [CERT KEY USER PASSWORD]

Listens on 127.0.0.1:PORT (0: any free port) and prints the port on its first line. Every
message handed to it is written to DIR as N.eml, with two lines in front: X-Envelope-To (the
RCPT TO addresses) and X-Tls (whether the session had upgraded with STARTTLS). With CERT and
KEY it offers STARTTLS and refuses mail without it; with USER and PASSWORD it also requires
that login (AUTH PLAIN or LOGIN, after STARTTLS).
"""

import asyncio
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        head = "X-Envelope-To: {}\r\nX-Tls: {}\r\nX-Login: {}\r\n".format(
            ",".join(envelope.rcpt_tos),
            "yes" if session.ssl else "no",
            session.auth_data.decode() if isinstance(session.auth_data, bytes) else "-",
        )
        tmp = os.path.join(self.directory, ".{}.tmp".format(self.count))
        with open(tmp, "wb") as f:
            f.write(head.encode())
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.directory, "{}.eml".format(self.count)))
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    return check


async def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    tls = None
    auth = None
    if len(sys.argv) > 4:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[3], sys.argv[4])
    if len(sys.argv) > 6:
        auth = authenticator(sys.argv[5], sys.argv[6])
    handler = Sink(directory)

    def session():
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=tls,
            require_starttls=tls is not None,
            authenticator=auth,
            auth_required=auth is not None,
            auth_require_tls=True,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(session, "127.0.0.1", port, reuse_address=True)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
