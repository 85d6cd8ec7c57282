"""Use cases shared by the API, the web pages and the command line: load, compute, save.

``auth`` (accounts, logins, roles, CSRF), ``records`` (patients, vitals, sessions,
telemetry, outcome scores, adverse events, audit), ``clinical`` (screening and planning
through ``cryotx.clinical``), ``fhir`` (export and import through ``cryotx.interop``) and
``demo`` (the demo clinic of ``make run``).  Each use case is one transaction with its
audit entry.
"""

__all__: list[str] = []
