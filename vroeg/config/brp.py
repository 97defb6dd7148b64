"""The BRP link, section `brp` of gemeente.yaml: where the municipality's Haal Centraal BRP APIs
answer and how to reach them (connectors/brp.py). Off by default: a municipality turns it on once
it has arranged access with RvIG (docs/scoring.md, "8. The BRP (Haal Centraal)").

Nothing secret lives here: the API key comes from the environment variable named in
`api_key_env`, the client certificate and its key from files the operator protects.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from vroeg.config.base import Section


class Brp(Section):
    enabled: bool = False
    #: Base URL of BRP API Personen (POST <base>/personen), e.g.
    #: https://proefomgeving.haalcentraal.nl/haalcentraal/api/brp.
    personen_url: str | None = None
    #: The environment variable that holds the API key (sent as X-API-KEY); None: no key.
    api_key_env: str | None = None
    #: A client certificate (PEM) and its key, for mutual TLS; None: none.
    client_cert: str | None = None
    client_key: str | None = None
    #: Seconds to wait for one answer, and how often to try again after a failure of the
    #: connection or a 429/5xx answer (never after an answer that was refused as invalid).
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    retries: int = Field(2, ge=0, le=5)
    #: Processing activity and purpose named on every query's audit line (Logboek
    #: Dataverwerkingen).
    processing_activity: str = "vroegsignalering-brp-controle"
    purpose: str = "vroegsignalering schulden (Wgs art. 3)"

    @model_validator(mode="after")
    def _url_when_enabled(self) -> Brp:
        if self.enabled and not self.personen_url:
            raise ValueError("brp.enabled is true but brp.personen_url is not set")
        if bool(self.client_cert) != bool(self.client_key):
            raise ValueError("brp.client_cert and brp.client_key go together")
        return self
