#!/usr/bin/env python3
"""A minimal token server for docker-registry's `auth: token` mode (the flow Docker
Hub uses), for the cntr-fatimg tests.

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
  anonymous             -> a token granting only "pull"
  Basic USER:PASSWORD   -> a token granting the requested actions (push, for skopeo)
  wrong Basic password  -> 401
The token is an RS256 JWT whose header carries the signing certificate (x5c); the
registry trusts it through `rootcertbundle`. Signing uses the openssl command, so
no Python packages are needed.

usage: registry-token-server.py PORT KEY.pem CERT.pem ISSUER USER PASSWORD
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT, KEY, CERT, ISSUER, USER, PASSWORD = sys.argv[1:7]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64() -> str:
    der = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


X5C = cert_der_b64()


def make_token(service: str, access: list) -> str:
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "x5c": [X5C]}
    claims = {"iss": ISSUER, "sub": "cntr-test", "aud": service, "exp": now + 600,
              "nbf": now - 60, "iat": now, "jti": b64url(os.urandom(12)), "access": access}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input,
                         check=True, capture_output=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # quiet; errors still reach stderr
        pass

    def reply(self, code: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        query = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        authenticated = False
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if (user, password) != (USER, PASSWORD):
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                    "message": "bad credentials"}]})
            authenticated = True
        access = []
        for scope in query.get("scope", []):
            parts = scope.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            wanted = parts[-1].split(",")
            granted = wanted if authenticated else [a for a in wanted if a == "pull"]
            access.append({"type": "repository", "name": ":".join(parts[1:-1]), "actions": granted})
        token = make_token(query.get("service", [""])[0], access)
        self.reply(200, {"token": token, "access_token": token, "expires_in": 600})


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
