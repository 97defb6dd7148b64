"""`vroeg ddas-api test-pki DIR`: a complete local test set, the way the FSC demo and acceptance
groups use self-signed certificates.

One CA signs everything: the server's TLS certificate (localhost, 127.0.0.1), the municipality's
signing certificate, CBS's client TLS certificate and CBS's signing certificate; an empty CRL
of the CA; a token issuer key (its public half as a JWKS) and an access token for CBS valid for an
hour; and `ddas-api.yaml`, the settings that trust exactly this set. Every certificate carries
certificates.TEST_ORGANISATION, which production settings refuse. All files 0600, the folder 0700.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

from reporting.ddas_api.certificates import TEST_ORGANISATION
from vroeg.files import private_dir, write_atomic

#: The token's issuer and audience in a test set; the audience follows the FSC service name
#: convention of docs/reporting.md.
ISSUER = "https://token.testset.invalid"
AUDIENCE = "DDAS-vroegsignalering-ophaal-vroegsignalering"
#: The FSC group of the test set (the token's `gid`).
GROUP = "fsc-testset"
SUBJECT = "cbs-testset"
TOKEN_KID = "testset-token-issuer"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(common_name: str, key, issuer: x509.Certificate | None, issuer_key, *,
                 ca: bool = False, usage: str | None = None,
                 days: int = 30) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name))
               .issuer_name(issuer.subject if issuer else _name(common_name))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now)
               .not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    signing = usage == "signing"
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=not ca, content_commitment=signing, key_encipherment=usage in (
            "server", "client"), data_encipherment=False, key_agreement=False,
        key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
    if usage == "server":
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                        critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False)
    elif usage == "client":
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                        critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def issue_token(issuer_key: RSAKey, *, scope: str = "read", lifetime_s: int = 3600,
                issuer: str = ISSUER, audience: str = AUDIENCE, group: str | None = GROUP,
                subject: str = SUBJECT, now: dt.datetime | None = None) -> str:
    """An access token as the FSC Manager (the authorisation server) issues it to CBS's Outway:
    a JWT signed RS256 by the issuer key, with `scope`, `gid` (FSC group) and `exp`."""
    now = now or dt.datetime.now(dt.UTC)
    claims = {"iss": issuer, "aud": audience, "sub": subject, "scope": scope,
              "iat": int(now.timestamp()), "nbf": int(now.timestamp()) - 60,
              "exp": int(now.timestamp()) + lifetime_s, "jti": secrets.token_hex(8)}
    if group is not None:
        claims["gid"] = group
    return jwt.encode({"alg": "RS256", "kid": issuer_key.kid}, claims, issuer_key,
                      algorithms=["RS256"])


@dataclass(frozen=True)
class TestSet:
    folder: Path
    config: Path
    ca: Path
    client_cert: Path
    client_key: Path
    cbs_signing_cert: Path
    cbs_signing_key: Path
    token_issuer_key: Path
    token: str

    @property
    def serve_args(self) -> list[str]:
        return ["--config", str(self.config)]

    def as_json(self) -> dict:
        return {"serve_args": self.serve_args, "ca": str(self.ca),
                "client_cert": str(self.client_cert), "client_key": str(self.client_key),
                "token": self.token, "cbs_signing_cert": str(self.cbs_signing_cert),
                "cbs_signing_key": str(self.cbs_signing_key)}


def make(folder: Path) -> TestSet:
    """Write a complete test set into `folder` (created 0700; files 0600, replaced if there)."""
    folder = private_dir(folder.resolve())

    def put(name: str, data: bytes) -> Path:
        path = folder / name
        write_atomic(path, data, mode=0o600)
        return path

    ca_key = _key()
    ca = _certificate("vroegsignalering test-CA", ca_key, None, ca_key, ca=True, days=365)
    issued = {}
    for name, common_name, usage in (
            ("server", "localhost", "server"),
            ("ondertekening", "Gemeente ondertekening (test)", "signing"),
            ("cbs-client", "CBS client (test)", "client"),
            ("cbs-ondertekening", "CBS ondertekening (test)", "signing")):
        key = _key()
        issued[name] = (_certificate(common_name, key, ca, ca_key, usage=usage), key)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
           .last_update(now).next_update(now + dt.timedelta(days=7))
           .sign(ca_key, hashes.SHA256()))

    paths = {"ca": put("ca.pem", _pem(ca)),
             "crl": put("ca-crl.pem", crl.public_bytes(serialization.Encoding.PEM))}
    for name, (cert, key) in issued.items():
        # Chains signer first, the CA after it (x5c and TLS want the whole chain).
        paths[f"{name}_cert"] = put(f"{name}.pem", _pem(cert, ca))
        paths[f"{name}_key"] = put(f"{name}-sleutel.pem", _key_pem(key))

    issuer_key = RSAKey.import_key(_key_pem(_key()), {"kid": TOKEN_KID, "use": "sig"})
    issuer_path = put("token-uitgever-sleutel.json",
                      json.dumps(issuer_key.as_dict(private=True)).encode())
    jwks = put("token-uitgever-jwks.json",
               json.dumps({"keys": [issuer_key.as_dict(private=False)]}).encode())
    token = issue_token(issuer_key)
    put("token.txt", token.encode())

    settings = {
        "environment": "test",
        "tls": {"certificate": paths["server_cert"].name, "key": paths["server_key"].name,
                "client_ca": paths["ca"].name},
        "token": {"issuer": ISSUER, "keys": jwks.name, "audience": AUDIENCE, "group": GROUP},
        "signing": {"certificate_chain": paths["ondertekening_cert"].name,
                    "key": paths["ondertekening_key"].name},
        "cbs": {"trust_anchors": paths["ca"].name, "crls": [paths["crl"].name]},
    }
    config = put("ddas-api.yaml", (
        "# A test set made by `vroeg ddas-api test-pki`: trusts only the certificates beside it.\n"
        "# Never for production (the production settings refuse these certificates).\n"
        + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)).encode())
    return TestSet(folder=folder, config=config, ca=paths["ca"],
                   client_cert=paths["cbs-client_cert"], client_key=paths["cbs-client_key"],
                   cbs_signing_cert=paths["cbs-ondertekening_cert"],
                   cbs_signing_key=paths["cbs-ondertekening_key"],
                   token_issuer_key=issuer_path, token=token)
