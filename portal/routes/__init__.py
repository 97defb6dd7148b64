"""The portal's pages, one module per kind of user (plus signing in and out)."""
