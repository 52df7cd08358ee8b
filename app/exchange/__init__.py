"""Partner exchange: the organisation's key, partners and their keys, signed bundles in and out.

Modules: ``pgp`` (OpenPGP via pysequoia, key generation via GnuPG), ``keys`` (our key),
``partners``, ``bundle_format`` (names, TLP, limits, policy), ``documents`` (the JSON inside a
bundle), ``export``, ``verify`` (every check before anything is read), ``importer``
(quarantine or merge).
"""
