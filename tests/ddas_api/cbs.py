"""CBS's side of the DDAS API in the tests: a client with the test set's TLS certificate and
token that signs its requests and checks the answers' digest and signature independently of the
server's code (the PS256 signature is verified here with `cryptography` itself)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from flows.prefect_env import free_port
from reporting.ddas_api.signatures import Signer

VROEG = str(Path(sys.executable).parent / "vroeg")


def make_test_set(folder: Path) -> dict:
    """`vroeg ddas-api test-pki DIR --json`, as a data officer runs it."""
    done = subprocess.run([VROEG, "ddas-api", "test-pki", str(folder), "--json"],
                          capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items()})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def tls_context(pki: dict, *, with_client: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=pki["ca"])
    if with_client:
        context.load_cert_chain(pki["client_cert"], pki["client_key"])
    return context


def signer(cert_path: str, key_path: str) -> Signer:
    chain = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())
    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), None)
    return Signer(key, chain, "cbs-test")


@dataclass
class Cbs:
    base: str
    pki: dict

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base, verify=tls_context(self.pki, **kwargs),
                            timeout=120)

    def signed(self, body: bytes, *, by: Signer | None = None) -> dict[str, str]:
        digest, signature = (by or signer(self.pki["cbs_signing_cert"],
                                          self.pki["cbs_signing_key"])).sign(body)
        return {"Digest": digest, "nlgov-adr-payload-sig": signature,
                "Content-Type": "application/json"}

    def post(self, request: dict | bytes, *, token: str | None = None,
             headers: dict[str, str] | None = None, sign: bool = True) -> httpx.Response:
        body = request if isinstance(request, bytes) else json.dumps(request).encode()
        sent = {"Authorization": f"Bearer {token or self.pki['token']}"}
        if sign:
            sent.update(self.signed(body))
        sent.update(headers or {})
        with self.client() as client:
            return client.post("/gegevens", content=body, headers=sent)


def check_signed(response: httpx.Response, municipality_chain: list[x509.Certificate],
                 anchor: x509.Certificate) -> None:
    """The answer's Digest is the SHA-256 of its bytes, and its payload signature is a PS256
    JWS with detached payload over that digest, by the municipality's certificate (x5c, chain
    to the test set's CA, x5t#S256)."""
    body = response.content
    digest = response.headers["Digest"]
    assert digest == "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    compact = response.headers["nlgov-adr-payload-sig"]
    header_b64, payload, signature_b64 = compact.split(".")
    assert payload == ""  # detached
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    assert header["alg"] == "PS256" and header["typ"] == "JOSE" and header["kid"]
    assert header["b64"] is False and "b64" in header["crit"]
    assert header["sigD"] == {"mId": "http://uri.etsi.org/19182/HttpHeaders",
                              "pars": ["digest"]}
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
    assert chain[0] == municipality_chain[0]
    assert header["x5t#S256"] == base64.urlsafe_b64encode(
        chain[0].fingerprint(hashes.SHA256())).rstrip(b"=").decode()
    chain[0].verify_directly_issued_by(anchor)
    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    chain[0].public_key().verify(
        signature, header_b64.encode() + b"." + f"digest: {digest}".encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size),
        hashes.SHA256())


@contextmanager
def api_process(home: Path, pki: dict, log: Path):
    """`vroeg ddas-api serve <serve_args> --port N` on `home`, until the block ends: its base
    URL. Its output (the server's log) goes to `log`."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VROEG_")}
    env["VROEG_HOME"] = str(home)
    with log.open("w") as output:
        process = subprocess.Popen([VROEG, "ddas-api", "serve", *pki["serve_args"], "--port",
                                    str(port)], env=env, cwd=home.parent, stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with httpx.Client(verify=tls_context(pki), timeout=2) as client:
                        if client.get(f"https://127.0.0.1:{port}/openapi.json").status_code \
                                == 200:
                            break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise AssertionError(f"vroeg ddas-api serve did not start:\n"
                                         f"{log.read_text()}")
                time.sleep(0.2)
            yield f"https://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
