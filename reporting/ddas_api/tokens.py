"""The OAuth2 access token CBS presents (client credentials, `Authorization: Bearer <JWT>`).

Checked against the configured issuer key(s) (a JWKS file, or one public key in PEM), issuer,
audience, expiry (and not-before), scope `read`, and, when the settings name an FSC group, the
token's `gid`. Each failure is one of the FSC error cases of the interface (problems.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet, RSAKey

from reporting.ddas_api import problems

#: Signature algorithms accepted for access tokens (asymmetric only: a shared secret would let
#: anyone who can check a token also make one).
ALGORITHMS = ["RS256", "PS256", "ES256"]


class TokenRefused(Exception):
    """status: 401 or 403; code: the Fsc-Error-Code; reason: Dutch, for the problem's detail."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


MISSING = problems.ACCESS_TOKEN_MISSING
INVALID = problems.ACCESS_TOKEN_INVALID
EXPIRED = problems.ACCESS_TOKEN_EXPIRED
WRONG_GROUP = problems.WRONG_GROUP_ID_IN_TOKEN


def load_keys(path: Path) -> KeySet:
    """A JWKS file ({"keys": [...]}) or one public key in PEM."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"{"):
        return KeySet.import_key_set(json.loads(data))
    return KeySet([RSAKey.import_key(data)])


@dataclass(frozen=True)
class TokenCheck:
    keys: KeySet
    issuer: str
    audience: str
    scope: str = "read"
    group: str | None = None

    def subject(self, authorization: str | None, now: int | None = None) -> str:
        """The token's `sub` when the token is good; raises TokenRefused otherwise."""
        if not authorization:
            raise TokenRefused(401, MISSING, "Er is geen access token meegestuurd.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRefused(401, MISSING, "Er is geen Bearer access token meegestuurd.")
        try:
            decoded = jwt.decode(token.strip(), self.keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise TokenRefused(401, INVALID, "Het access token is ongeldig (handtekening of "
                               "vorm).") from exc
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=30,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True}, sub={"essential": True})
        try:
            registry.validate(decoded.claims)
        except ExpiredTokenError as exc:
            raise TokenRefused(401, EXPIRED, "Het access token is verlopen.") from exc
        except (JoseError, ValueError) as exc:
            raise TokenRefused(401, INVALID, "Het access token is niet voor deze dienst "
                               "(uitgever, doelgroep of geldigheid).") from exc
        claims = decoded.claims
        scopes = str(claims.get("scope", "")).split()
        if self.scope not in scopes:
            raise TokenRefused(403, INVALID, f"Het access token geeft geen scope "
                               f"'{self.scope}'.")
        if self.group is not None and claims.get("gid") != self.group:
            raise TokenRefused(403, WRONG_GROUP, "Het access token is voor een andere "
                               "FSC-groep.")
        return str(claims["sub"])[:255]
