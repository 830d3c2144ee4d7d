"""Training and evaluation scripts for Townhall's moderation models (not installed with the package).

Run each from the repository root with the project's virtualenv, e.g.
``.venv/bin/python -m modelling.evaluate_spam``. They read the labelled sets from
``../shared/data/`` (or ``TOWNHALL_DATA`` / ``--data DIR``) and write artefacts into
``townhall/moderation/artefacts/``.
"""
