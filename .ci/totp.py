#!/usr/bin/env python3
"""Prints an authenticator app's current code (TOTP, RFC 6238: HMAC-SHA-1,
30-second steps, six digits) for the otpauth:// URI given as the argument:
what the CI sessions and the README's walk-through use to play the app."""

import base64
import hashlib
import hmac
import struct
import sys
import time
import urllib.parse


def code(uri, now=None):
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int(time.time() if now is None else now) // 30
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 15
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (number % 1_000_000)


if __name__ == "__main__":
    print(code(sys.argv[1]))
