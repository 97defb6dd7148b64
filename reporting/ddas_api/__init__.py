"""The DDAS API that CBS calls: `POST /gegevens` per the official interface (DDAS-VS.yaml),
paged, signed, behind mutual TLS and OAuth2 access tokens (issue 15, docs/reporting.md).

- `settings`     the configuration file and the environment: certificates, keys, token issuer
- `certificates` PEM loading, chain validation to a trust anchor (validity, CRL), the test mark
- `testset`      `vroeg ddas-api test-pki`: a complete self-signed set, as the FSC demo group uses
- `signatures`   RFC 3230 Digest and the JAdES detached payload signature (nlgov-adr-payload-sig)
- `tokens`       the OAuth2 access token (JWT): issuer key or JWKS, audience, scope, expiry
- `problems`     application/problem+json answers and the FSC error codes
- `spec`         the OpenAPI document as served (the schema of `gegevens` inlined)
- `app`          the Starlette application: checks in order, then a page of ddas_pages
- `server`       uvicorn with the TLS context, and the client certificate handed to the app
"""
