"""The DDAS API answering a full page: 50,000 signals in one signed answer (issue 15, point 5).

Builds a home with the project's own steps (one month with more signals than fit in a page),
makes a test set (`vroeg ddas-api test-pki`), starts `vroeg ddas-api serve` as a process of its
own and acts as CBS: mTLS, token, signed request for page 1 with pageSize 50,000. Measured: the
wall time of that answer (twice, after one warm-up), its size, the server's peak memory; and, as
the ratio the target judges, the page's time over the time `vroeg export-ddas` takes for the
same period in this process (the file export does the same gathering, re-identification and
mapping for all signals, without paging, TLS or signatures). A second, small page (pageSize
5,000) of the same period shows memory following the page, not the period.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bench.measure import Meter, peak_mb_of
from flows.prefect_env import free_port

ROOT = Path(__file__).resolve().parent.parent
PAGE = 50_000
SMALL_PAGE = 5_000


def _vroeg() -> str:
    return str(Path(sys.executable).parent / "vroeg")


def run(csv_path: Path, *, today: dt.date, period: str, meter: Meter, rounds: int = 2) -> dict:
    import httpx

    from bench import steps
    from privacy.context import context
    from reporting.ddas_api import testset
    from reporting.ddas_api.signatures import Signer
    from reporting.ddas_export import DEFAULT_SUPPLIER, export
    from scoring.score import Period

    built = steps.run(csv_path, today=today, period=period, meter=meter)
    ctx = context("0080")
    month = Period.parse(period)
    window = {"aanleverperiodeStartdatum": month.start.isoformat(),
              "aanleverperiodeEinddatum": (month.end - dt.timedelta(days=1)).isoformat()}

    with tempfile.TemporaryDirectory(prefix="ddas-export-") as folder:
        started = time.perf_counter()
        exported = export([ctx], month.start, month.end - dt.timedelta(days=1),
                          Path(folder) / "levering.json", supplier=DEFAULT_SUPPLIER)
        export_s = time.perf_counter() - started
    total = exported.per_gemeente["0080"]["signalen"]

    pki = testset.make(ctx.home.root.parent / "ddas-pki").as_json()
    port = free_port()
    log = (ctx.home.root.parent / "ddas-api.log").open("w")
    env = {**os.environ, "VROEG_HOME": str(ctx.home.root)}
    process = subprocess.Popen([_vroeg(), "ddas-api", "serve", *pki["serve_args"], "--port",
                                str(port)], env=env, cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    context = ssl.create_default_context(cafile=pki["ca"])
    context.load_cert_chain(pki["client_cert"], pki["client_key"])
    signer = Signer(serialization.load_pem_private_key(
        Path(pki["cbs_signing_key"]).read_bytes(), None),
        x509.load_pem_x509_certificates(Path(pki["cbs_signing_cert"]).read_bytes()), "bench")
    client = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context, timeout=600)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if client.get("/openapi.json").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("vroeg ddas-api serve did not start")
            time.sleep(0.2)

        def page(size: int) -> tuple[float, httpx.Response]:
            # As CBS does: the body signed as sent, the token, over the mTLS connection.
            body = json.dumps({**window, "page": 1, "pageSize": size}).encode()
            digest, signature = signer.sign(body)
            began = time.perf_counter()
            response = client.post("/gegevens", content=body, headers={
                "Authorization": f"Bearer {pki['token']}", "Digest": digest,
                "nlgov-adr-payload-sig": signature, "Content-Type": "application/json"})
            return time.perf_counter() - began, response

        small_s, small = page(SMALL_PAGE)
        small_peak = peak_mb_of(process.pid)
        page(PAGE)  # warm-up
        timed = [page(PAGE) for _ in range(rounds)]
        peak = peak_mb_of(process.pid)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
        log.close()
    statuses = [r.status_code for _, r in timed] + [small.status_code]
    last = timed[-1][1]
    answer = last.json() if last.status_code == 200 else {}
    signals = sum(len(x["vroegsignalen"]) for x in answer.get("gegevens", {})
                  .get("leveringen", []))
    best = min(t for t, _ in timed)
    return {
        "period_signals": total, "page_size": PAGE, "page_signals": signals,
        "statuses": statuses, "page_s": [round(t, 2) for t, _ in timed],
        "page_best_s": round(best, 2), "page_bytes": len(last.content),
        "small_page_s": round(small_s, 2), "small_page_size": SMALL_PAGE,
        "server_peak_mb_after_small_page": small_peak, "server_peak_mb": peak,
        "export_s": round(export_s, 2),
        "page_over_export": round(best / export_s, 2) if export_s else None,
        "paginering": answer.get("paginering"),
        "counts": built["counts"],
    }
