"""Checks wartesaal's X-Wartesaal-Admission header (a room with admission_header = true).

In a booking site:  visitor = verify(request.headers.get("X-Wartesaal-Admission", ""), KEY, "impfzentrum")
From a shell:       python3 verify_admission.py KEY_FILE ROOM HEADER   (prints the ticket; exit 1 if refused)
KEY is the text of the room's admission_key_file (as `wartesaal keygen` writes it).
"""
import base64, hashlib, hmac, sys, time


def verify(header, key, room):
    """(ticket, admitted_at, expires_at) of the admitted visitor, or None."""
    signed, _, tag = header.rpartition(".")
    v, r, ticket, admitted_at, expires_at = (signed.split(".") + [""] * 5)[:5]
    if v != "v1" or r != room or signed.count(".") != 4:
        return None
    secret = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    mac = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    good = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    if not hmac.compare_digest(good, tag) or int(expires_at) < time.time():
        return None
    return int(ticket), int(admitted_at), int(expires_at)


if __name__ == "__main__":
    found = verify(sys.argv[3], open(sys.argv[1]).read().strip(), sys.argv[2])
    print(found[0] if found else "refused")
    sys.exit(0 if found else 1)
