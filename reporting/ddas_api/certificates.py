"""Certificates: load PEM files, validate a chain to a trust anchor, recognise the test set.

Chain validation is done here with `cryptography`'s primitives (each certificate's signature by
the next, validity, CA flag, key usage, CRL) rather than with its Web PKI verifier, because a
signing certificate is no TLS server or client certificate: the Web PKI verifier insists on
extended key usages and subject names that a PKIoverheid signing certificate need not have.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

#: The organisation every certificate of a test set (testset.py) carries. Production settings
#: refuse any certificate with it, so a test set is never accepted by accident.
TEST_ORGANISATION = "vroegsignalering testset - NIET VOOR PRODUCTIE"


class ChainError(ValueError):
    """A certificate chain that is not to be trusted; the message says why (in Dutch)."""


def load_certificates(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def load_crls(paths: Iterable[Path]) -> list[x509.CertificateRevocationList]:
    found = []
    for path in paths:
        data = path.read_bytes()
        found.append(x509.load_pem_x509_crl(data) if b"-----BEGIN" in data
                     else x509.load_der_x509_crl(data))
    return found


def sha256_hex(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def thumbprint_s256(cert: x509.Certificate) -> str:
    """`x5t#S256`: base64url of the SHA-256 of the DER, without padding."""
    return base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=").decode()


def x5c(chain: list[x509.Certificate]) -> list[str]:
    """`x5c`: standard base64 (not base64url) of each certificate's DER, signer first."""
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
            for c in chain]


def from_x5c(values: list) -> list[x509.Certificate]:
    if not values or not all(isinstance(v, str) for v in values):
        raise ChainError("x5c ontbreekt of is geen lijst van certificaten")
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(v, validate=True))
                for v in values]
    except ValueError as exc:
        raise ChainError("x5c bevat geen geldig certificaat") from exc


def subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()[:255]


def is_test(cert: x509.Certificate) -> bool:
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return any(n.value == TEST_ORGANISATION for n in names)


def _valid_at(cert: x509.Certificate, now: dt.datetime, what: str) -> None:
    if now < cert.not_valid_before_utc:
        raise ChainError(f"{what} is nog niet geldig")
    if now > cert.not_valid_after_utc:
        raise ChainError(f"{what} is verlopen")


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _revoked(cert: x509.Certificate, issuer: x509.Certificate,
             crls: list[x509.CertificateRevocationList], now: dt.datetime, what: str) -> None:
    for crl in crls:
        if crl.issuer != issuer.subject:
            continue
        if not crl.is_signature_valid(issuer.public_key()):
            raise ChainError(f"de intrekkingslijst (CRL) van de uitgever van {what} is niet "
                             "door die uitgever ondertekend")
        if crl.next_update_utc is not None and crl.next_update_utc < now:
            raise ChainError(f"de intrekkingslijst (CRL) van de uitgever van {what} is "
                             "verouderd")
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
            raise ChainError(f"{what} is ingetrokken")


def validate_chain(chain: list[x509.Certificate], anchors: list[x509.Certificate], *,
                   crls: list[x509.CertificateRevocationList] = (),
                   now: dt.datetime | None = None, signing: bool = True) -> None:
    """Raise ChainError unless `chain` (signer first) leads to one of `anchors`: every
    certificate within its validity, each signed by the next, every issuer a CA, the signer's
    key usage allows signatures, and none revoked by a CRL of its issuer (where given)."""
    now = now or dt.datetime.now(dt.UTC)
    if not chain:
        raise ChainError("geen certificaat")
    leaf = chain[0]
    names = ["het ondertekeningscertificaat"] + [f"tussencertificaat {i}"
                                                for i in range(1, len(chain))]
    for cert, what in zip(chain, names, strict=True):
        _valid_at(cert, now, what)
    if signing:
        try:
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
            if not (usage.digital_signature or usage.content_commitment):
                raise ChainError("het ondertekeningscertificaat mag niet ondertekenen "
                                 "(keyUsage)")
        except x509.ExtensionNotFound:
            pass
    anchor_prints = {a.fingerprint(hashes.SHA256()) for a in anchors}
    for i, cert in enumerate(chain):
        if cert.fingerprint(hashes.SHA256()) in anchor_prints:
            return  # reached the anchor itself (an anchor needs no CRL of its own)
        issuer = chain[i + 1] if i + 1 < len(chain) else None
        if issuer is not None and _issued_by(cert, issuer):
            if not _is_ca(issuer):
                raise ChainError(f"de uitgever van {names[i]} is geen CA")
            _revoked(cert, issuer, list(crls), now, names[i])
            continue
        anchor = next((a for a in anchors if _issued_by(cert, a)), None)
        if anchor is None:
            raise ChainError(f"{names[i]} leidt niet naar het vertrouwde basiscertificaat")
        _valid_at(anchor, now, "het vertrouwde basiscertificaat")
        _revoked(cert, anchor, list(crls), now, names[i])
        return
    raise ChainError("de keten leidt niet naar het vertrouwde basiscertificaat")
