"""Governance: the privacy officer's work across every store.

The pipeline's own privacy machinery (keys, pseudonyms, vault, archive, audit chain) lives one
layer down in `privacy/`; what is here acts on all stores at once on behalf of a data subject or
of the municipality's policy, so it sits above scoring and publishing:

- `subject`    subject access (AVG art. 15) and manual re-identification with a purpose
- `erasure`    erasure of one data subject from vault, warehouse, lists and cases (art. 17)
- `retention`  retention terms per store: what is due, and destroying it
- `rotation`   key rotation: re-keying pseudonyms, vault and archive as one resumable process
- `register`   the register of processing activities (art. 30), generated from configuration
"""
