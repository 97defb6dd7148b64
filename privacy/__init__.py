"""The pipeline's privacy machinery: what separates who someone is from what is known of them.

- `keys`         the municipality's key ring (derived keys per purpose, versions, rotation state)
- `pseudonymise` keyed pseudonyms (HMAC) for persons, households and signals
- `vault`        identities sealed per record (AES-GCM), opened only with an audit line
- `archive`      original deliveries, encrypted at rest, named by SHA-256
- `audit`, `chain` the append-only, hash-chained audit trail
- `purposes`     why data may be re-identified: one fixed list of purposes
- `context`      everything a step needs for one municipality (keys, vault, audit, configuration)

The privacy officer's work across stores (subject access, erasure, retention, rotation) is the
`governance` package, a layer above.
"""
