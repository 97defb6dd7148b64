"""The DDAS API's settings and trust, without a server: the test set is complete and private,
production settings refuse it, keys others can read are refused, and a chain is checked for its
anchor, validity and revocation (CRL)."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from reporting.ddas_api import certificates, settings, testset
from reporting.ddas_api.certificates import ChainError
from vroeg.config import ConfigError


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> testset.TestSet:
    return testset.make(tmp_path_factory.mktemp("pki") / "set")


def _copy(made: testset.TestSet, target: Path, **changes) -> Path:
    target.mkdir(mode=0o700)
    for path in made.folder.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
        (target / path.name).chmod(0o600)
    config = yaml.safe_load((target / "ddas-api.yaml").read_text())
    config.update(changes)
    (target / "ddas-api.yaml").write_text(yaml.safe_dump(config))
    return target / "ddas-api.yaml"


def test_the_test_set_is_complete_private_and_loads_as_test_settings(made):
    assert stat.S_IMODE(made.folder.stat().st_mode) == 0o700
    files = sorted(made.folder.iterdir())
    assert len(files) == 14 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    described = made.as_json()
    assert set(described) == {"serve_args", "ca", "client_cert", "client_key", "token",
                              "cbs_signing_cert", "cbs_signing_key"}
    loaded = settings.load(made.config)
    assert loaded.is_test and loaded.signer_usable() is None
    assert loaded.token_check.subject(f"Bearer {made.token}") == testset.SUBJECT
    # The token is valid for an hour.
    claims = json.loads(__import__("base64").urlsafe_b64decode(
        made.token.split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == 3600 and claims["scope"] == "read"


def test_production_settings_refuse_the_test_set(made, tmp_path):
    config = _copy(made, tmp_path / "prod", environment="productie")
    with pytest.raises(ConfigError, match="testset"):
        settings.load(config)
    # Without the key, the default is production too.
    text = yaml.safe_load(config.read_text())
    del text["environment"]
    config.write_text(yaml.safe_dump(text))
    with pytest.raises(ConfigError, match="testset"):
        settings.load(config)


def test_a_key_others_can_read_is_refused_with_the_fix(made, tmp_path):
    config = _copy(made, tmp_path / "open")
    (config.parent / "ondertekening-sleutel.pem").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        settings.load(config)


def test_missing_settings_say_how_to_make_them(tmp_path):
    with pytest.raises(ConfigError, match="vroeg ddas-api test-pki"):
        settings.load(tmp_path / "ddas-api.yaml")


def _load(made: testset.TestSet, name: str):
    chain = certificates.load_certificates(made.folder / f"{name}.pem")
    ca = certificates.load_certificates(made.ca)
    return chain, ca


def test_a_chain_is_checked_for_anchor_validity_and_revocation(made):
    chain, ca = _load(made, "cbs-ondertekening")
    crls = certificates.load_crls([made.folder / "ca-crl.pem"])
    certificates.validate_chain(chain, ca, crls=crls)
    certificates.validate_chain(chain[:1], ca, crls=crls)  # the anchor need not be sent
    later = chain[0].not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(ChainError, match="verlopen"):
        certificates.validate_chain(chain, ca, now=later)
    # Another CA: not the anchor. It revokes a certificate of its own: a CRL signed by its
    # key (the test set does not keep its CA's key).
    ca_key = testset._key()
    own_ca = testset._certificate("eigen CA", ca_key, None, ca_key, ca=True)
    with pytest.raises(ChainError, match="vertrouwde basiscertificaat"):
        certificates.validate_chain(chain, [own_ca])
    key = testset._key()
    leaf = testset._certificate("ondertekenaar", key, own_ca, ca_key, usage="signing")
    now = dt.datetime.now(dt.UTC)
    revoked = (x509.CertificateRevocationListBuilder().issuer_name(own_ca.subject)
               .last_update(now - dt.timedelta(minutes=1)).next_update(now + dt.timedelta(days=1))
               .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                        .serial_number(leaf.serial_number)
                                        .revocation_date(now - dt.timedelta(minutes=1)).build())
               .sign(ca_key, hashes.SHA256()))
    crl = x509.load_pem_x509_crl(revoked.public_bytes(serialization.Encoding.PEM))
    certificates.validate_chain([leaf], [own_ca])
    with pytest.raises(ChainError, match="ingetrokken"):
        certificates.validate_chain([leaf], [own_ca], crls=[crl])


def test_the_interface_is_kept_verbatim_and_served_standing_alone():
    from reporting.ddas_api import spec
    from tests import REPO_ROOT
    from vroeg import ddas

    for parent in REPO_ROOT.parents:
        published = parent / "shared" / "ddas" / "v1.2" / "DDAS-VS.yaml"
        if published.exists():
            assert published.read_bytes() == ddas.API_SPEC_PATH.read_bytes()
            break
    served = json.loads(spec.document("https://127.0.0.1:8443"))
    assert served["servers"] == [{"url": "https://127.0.0.1:8443",
                                  "description": "Deze installatie"}]
    text = json.dumps(served)
    # Every reference resolves inside the document: no URL, no $defs of another file.
    refs = re.findall(r'"\$ref": "([^"]+)"', text)
    assert refs and all(r.startswith("#/components/") for r in refs)
    for ref in refs:
        _, kind, name = ref[2:].split("/")
        assert name in served["components"][kind], ref
    schemas = served["components"]["schemas"]
    assert schemas["Uitwisselmodel"]["properties"]["leveringen"]["minItems"] == 1
