"""The DDAS API's settings: a YAML file of certificates, trust and the token issuer, and the
environment for what is secret.

The file (`$VROEG_HOME/config/ddas-api.yaml`, or VROEG_DDAS_API_CONFIG, or `--config`) holds
paths, relative to its own folder, and names; never a key itself. The private keys are files
readable by their owner only (0600, refused otherwise); their paths may come from the
environment instead (VROEG_DDAS_API_TLS_KEY, VROEG_DDAS_API_SIGNING_KEY), so a secret store can
mount them where the file does not say. docs/reporting.md lists every key.

`environment: productie` (the default) refuses any certificate of a test set
(certificates.TEST_ORGANISATION); only `environment: test` accepts one, and says so loudly.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from reporting.ddas_api import certificates, tokens
from reporting.ddas_api.certificates import ChainError
from reporting.ddas_api.signatures import Signer
from vroeg.config.base import ConfigError, Section
from vroeg.config.loading import _read_yaml, describe
from vroeg.settings import Home

CONFIG_NAME = "ddas-api.yaml"


class TlsSection(Section):
    #: The server's certificate chain (PEM, server first).
    certificate: Path
    #: Its private key (PEM, 0600); VROEG_DDAS_API_TLS_KEY overrides.
    key: Path | None = None
    #: The CA(s) whose client certificates are let in (PEM): PKIoverheid, or the FSC group's.
    client_ca: Path


class TokenSection(Section):
    #: `iss` of the authorisation server (the FSC Manager).
    issuer: str
    #: Its public key(s): a JWKS file or one public key in PEM.
    keys: Path
    #: `aud` the token must carry: the FSC service name (docs/reporting.md).
    audience: str
    scope: str = "read"
    #: The FSC group; when set, the token's `gid` must be this.
    group: str | None = None


class SigningSection(Section):
    #: The municipality's (or supplier's) signing certificate chain (PEM, signer first). Not the
    #: TLS certificate.
    certificate_chain: Path
    #: Its private key (PEM, 0600); VROEG_DDAS_API_SIGNING_KEY overrides.
    key: Path | None = None
    #: `kid` in the signature header; default the certificate's x5t#S256.
    kid: str | None = None


class CbsSection(Section):
    #: The trust anchor(s) for CBS's request signatures (PEM): the PKIoverheid root, or the test
    #: set's CA.
    trust_anchors: Path
    #: Certificate revocation lists (PEM or DER) of the CAs in CBS's chains, where available.
    crls: list[Path] = []


class ApiSection(Section):
    environment: Literal["productie", "test"] = "productie"
    #: Municipalities served (default: every one of the installation).
    gemeenten: list[str] | None = None
    #: codeGegevensleverancier (default VROEG_DDAS_LEVERANCIER, else "vroegsignalering").
    supplier: str | None = None
    tls: TlsSection
    token: TokenSection
    signing: SigningSection
    cbs: CbsSection


def config_path(home: Home, given: Path | None = None) -> Path:
    if given is not None:
        return given
    env = os.environ.get("VROEG_DDAS_API_CONFIG")
    return Path(env) if env else home.root / "config" / CONFIG_NAME


def _private(path: Path, what: str) -> Path:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise ConfigError(f"{what} ({path}) is niet te lezen: {exc.strerror}") from None
    if mode & 0o077:
        raise ConfigError(f"{what} ({path}) is leesbaar voor anderen (modus {mode:o}); "
                          f"maak het alleen voor de eigenaar: chmod 600 {path}")
    return path


@dataclass(frozen=True)
class ApiSettings:
    """Everything the server needs, loaded and checked."""

    source: Path
    environment: str
    gemeenten: list[str] | None
    supplier: str | None
    tls_certificate: Path
    tls_key: Path
    client_ca: Path
    token_check: tokens.TokenCheck
    signer: Signer
    cbs_anchors: list[x509.Certificate]
    cbs_crls: list[x509.CertificateRevocationList]

    @property
    def is_test(self) -> bool:
        return self.environment == "test"

    def ssl_context(self) -> ssl.SSLContext:
        """TLS 1.2 or newer, and a client certificate from `client_ca` required: a client
        without one, or with another, is refused in the handshake (before any HTTP)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls_certificate, self.tls_key)
        context.load_verify_locations(cafile=self.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    def signer_usable(self, now: dt.datetime | None = None) -> str | None:
        """Why the signing certificate cannot sign now (None: it can)."""
        now = now or dt.datetime.now(dt.UTC)
        cert = self.signer.certificate
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return "het ondertekeningscertificaat is niet (meer) geldig"
        return None


def load(path: Path) -> ApiSettings:
    """Read and check the settings; ConfigError (Dutch, names the file) when they do not hold."""
    if not path.is_file():
        raise ConfigError(f"Geen instellingen voor de DDAS-API: {path} bestaat niet. Maak een "
                          "testset met 'vroeg ddas-api test-pki MAP' of zie docs/reporting.md.")
    try:
        section = ApiSection.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
    base = path.parent

    def at(value: Path) -> Path:
        return value if value.is_absolute() else base / value

    def env_or(name: str, value: Path | None, what: str) -> Path:
        chosen = os.environ.get(name) or (str(at(value)) if value else None)
        if not chosen:
            raise ConfigError(f"{path}: geen {what}; geef het pad in het bestand of in {name}")
        return _private(Path(chosen), what)

    tls_key = env_or("VROEG_DDAS_API_TLS_KEY", section.tls.key, "TLS-sleutel")
    signing_key_path = env_or("VROEG_DDAS_API_SIGNING_KEY", section.signing.key,
                              "ondertekeningssleutel")
    try:
        tls_chain = certificates.load_certificates(at(section.tls.certificate))
        client_cas = certificates.load_certificates(at(section.tls.client_ca))
        signing_chain = certificates.load_certificates(at(section.signing.certificate_chain))
        anchors = certificates.load_certificates(at(section.cbs.trust_anchors))
        crls = certificates.load_crls([at(p) for p in section.cbs.crls])
        key = serialization.load_pem_private_key(signing_key_path.read_bytes(), None)
        token_keys = tokens.load_keys(at(section.token.keys))
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: een certificaat, sleutel of CRL is niet te lezen "
                          f"({type(exc).__name__}: {exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{path}: de ondertekeningssleutel moet een RSA-sleutel zijn (PS256)")
    if key.public_key().public_numbers() != signing_chain[0].public_key().public_numbers():
        raise ConfigError(f"{path}: de ondertekeningssleutel hoort niet bij het eerste "
                          "certificaat van certificate_chain")
    if certificates.sha256_hex(signing_chain[0]) in {certificates.sha256_hex(c)
                                                     for c in tls_chain}:
        raise ConfigError(f"{path}: het ondertekeningscertificaat mag niet het "
                          "TLS-certificaat zijn")
    everything = tls_chain + client_cas + signing_chain + anchors
    test_certs = [c for c in everything if certificates.is_test(c)]
    if section.environment == "productie" and test_certs:
        which = certificates.subject(test_certs[0])
        raise ConfigError(f"{path}: certificaten van een testset ({which}) in "
                          "productie-instellingen; zet 'environment: test' alleen voor een test")
    try:
        # Our own chain must hold, or every answer would carry a signature CBS refuses.
        certificates.validate_chain(signing_chain, signing_chain[-1:])
    except ChainError as exc:
        raise ConfigError(f"{path}: de eigen ondertekeningsketen deugt niet: {exc}") from None
    kid = section.signing.kid or certificates.thumbprint_s256(signing_chain[0])
    return ApiSettings(
        source=path, environment=section.environment, gemeenten=section.gemeenten,
        supplier=section.supplier, tls_certificate=at(section.tls.certificate), tls_key=tls_key,
        client_ca=at(section.tls.client_ca),
        token_check=tokens.TokenCheck(token_keys, section.token.issuer, section.token.audience,
                                      section.token.scope, section.token.group),
        signer=Signer(key, signing_chain, kid), cbs_anchors=anchors, cbs_crls=crls)
