"""Vroegsignalering: early warning of payment arrears for Dutch municipalities.

This package holds what every other package shares: settings, configuration, the standard signal
schema, the operational database and the command-line interface. The pipeline steps live in the
sibling packages connectors, quality, privacy, scoring and publishing; flows orchestrates them.
"""

__version__ = "0.1.0"
