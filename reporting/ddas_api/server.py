"""Serve the DDAS API with uvicorn over mutual TLS.

The TLS context comes from the settings (client certificate required, from the configured CA
only). Uvicorn does not hand the client's certificate to the application, so the HTTP protocol
here adds it to each request's scope (the ASGI TLS extension's place for it): the register and
the audit trail say which certificate asked.
"""

from __future__ import annotations

import asyncio

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from reporting.ddas_api.app import Served, create_app


class _PeerCertificateProtocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        inner = self.app

        async def app(scope, receive, send):
            scope.setdefault("extensions", {})["tls"] = {"client_cert_der": der}
            await inner(scope, receive, send)

        self.app = app


def serve(served: Served, host: str, port: int) -> None:
    config = uvicorn.Config(create_app(served), host=host, port=port,
                            http=_PeerCertificateProtocol, server_header=False,
                            date_header=True, log_level="warning", access_log=False)
    config.load()
    config.ssl = served.settings.ssl_context()
    uvicorn.Server(config).run()
