"""RFC 3230 `Digest` and the payload signature `nlgov-adr-payload-sig`, both directions.

After Geonovum's API design rules, module signing-jades (JAdES, ETSI TS 119 182-1, HttpHeaders
mechanism), as the DDAS interface asks ("PS256, detached, alleen digest getekend"):

- `Digest: SHA-256=<base64 of SHA-256 over the body bytes as sent>`;
- the signature is a JWS in compact serialisation with a detached, unencoded payload (RFC 7797:
  `b64` false, in `crit`): `BASE64URL(header)..BASE64URL(signature)`;
- the protected header: `alg` PS256, `typ` JOSE, `kid`, `x5c` (the whole chain, signer first),
  `x5t#S256`, `sigT` (signing time) and `sigD` {mId: http://uri.etsi.org/19182/HttpHeaders,
  pars: ["digest"]};
- what is signed (the payload) is the digest header as the HttpHeaders mechanism writes it:
  `digest: SHA-256=...`. The signature thus covers the body through its digest.

The receiver checks the digest against the body, the signature with the first certificate of
`x5c`, that certificate's thumbprint, and the chain to its trust anchor (certificates.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.registry import HeaderParameter

from reporting.ddas_api import certificates
from reporting.ddas_api.certificates import ChainError

HEADER = "nlgov-adr-payload-sig"
ALGORITHM = "PS256"
HTTP_HEADERS_MECHANISM = "http://uri.etsi.org/19182/HttpHeaders"


class SignatureError(ValueError):
    """A message whose digest or signature does not hold; the message says why (Dutch)."""


def digest(body: bytes) -> str:
    """The value of the `Digest` header (RFC 3230) for `body`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _signed_content(digest_value: str) -> bytes:
    # JAdES HttpHeaders mechanism: "<lower-case name>: <value>" per header in `pars`.
    return f"digest: {digest_value}".encode("ascii")


class _Registry(jws.JWSRegistry):
    # An x5c chain of two or three RSA certificates does not fit joserfc's default of 512 bytes.
    max_header_length = 16_384


def _registry() -> jws.JWSRegistry:
    return _Registry(header_registry={
        "sigT": HeaderParameter("JAdES signing time", "str"),
        "sigD": HeaderParameter("JAdES signed data reference", _sig_d),
    }, algorithms=[ALGORITHM])


def _sig_d(value) -> None:
    if not isinstance(value, dict) or value.get("mId") != HTTP_HEADERS_MECHANISM \
            or value.get("pars") != ["digest"]:
        raise ValueError("sigD must name the HttpHeaders mechanism over ['digest']")


@dataclass(frozen=True)
class Signer:
    """A signing key with its certificate chain (signer first)."""

    key: rsa.RSAPrivateKey
    chain: list[x509.Certificate]
    kid: str

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    def sign(self, body: bytes, now: dt.datetime | None = None) -> tuple[str, str]:
        """(Digest, nlgov-adr-payload-sig) for `body`, the exact bytes to be sent."""
        value = digest(body)
        moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
        protected = {
            "alg": ALGORITHM, "typ": "JOSE", "kid": self.kid,
            "x5c": certificates.x5c(self.chain),
            "x5t#S256": certificates.thumbprint_s256(self.certificate),
            "sigT": moment.isoformat().replace("+00:00", "Z"),
            "sigD": {"mId": HTTP_HEADERS_MECHANISM, "pars": ["digest"]},
            "b64": False, "crit": ["b64", "sigT", "sigD"],
        }
        key = RSAKey.import_key(self.key)
        compact = jws.serialize_compact(protected, _signed_content(value), key,
                                        registry=_registry())
        header, _, signature = compact.split(".")
        return value, f"{header}..{signature}"


@dataclass(frozen=True)
class Verified:
    """Who signed a message that checked out."""

    signer: x509.Certificate
    kid: str | None


def _header(compact: str) -> dict:
    try:
        segment = compact.split(".")[0]
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SignatureError("de handtekening is geen JWS") from exc
    if not isinstance(header, dict):
        raise SignatureError("de handtekening is geen JWS")
    return header


def verify(body: bytes, digest_value: str | None, signature: str | None,
           anchors: list[x509.Certificate], *,
           crls: list[x509.CertificateRevocationList] = (),
           now: dt.datetime | None = None) -> Verified:
    """Check a message's Digest and payload signature; raise SignatureError (or ChainError for
    a signer that is not trusted) when either fails."""
    if not digest_value:
        raise SignatureError("de Digest-header ontbreekt")
    if digest_value != digest(body):
        raise SignatureError("de Digest-header past niet bij de inhoud van het bericht")
    if not signature:
        raise SignatureError(f"de {HEADER}-header ontbreekt")
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SignatureError("de handtekening is geen JWS met losse inhoud (header..handtekening)")
    header = _header(signature)
    if header.get("alg") != ALGORITHM:
        raise SignatureError(f"de handtekening gebruikt niet {ALGORITHM}")
    if header.get("b64") is not False:
        raise SignatureError("de handtekening moet over de Digest-header gaan (b64: false, sigD)")
    chain = certificates.from_x5c(header.get("x5c"))
    thumb = header.get("x5t#S256")
    if thumb is not None and thumb != certificates.thumbprint_s256(chain[0]):
        raise SignatureError("x5t#S256 past niet bij het eerste certificaat van x5c")
    try:
        jws.deserialize_compact(signature, RSAKey.import_key(chain[0].public_key()),
                                registry=_registry(), payload=_signed_content(digest_value))
    except (JoseError, ValueError) as exc:
        raise SignatureError("de handtekening klopt niet") from exc
    certificates.validate_chain(chain, anchors, crls=list(crls), now=now)
    return Verified(chain[0], header.get("kid"))


__all__ = ["HEADER", "ChainError", "SignatureError", "Signer", "Verified", "digest", "verify"]
