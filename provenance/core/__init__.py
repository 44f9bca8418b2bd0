"""Attribution core: manifests, hashes, the chain client, credentials and verdicts.

Plain Python with no Django import, so the web app, workers, CLI and benchmark share it.
"""
