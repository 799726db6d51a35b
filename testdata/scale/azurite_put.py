"""Puts blobs into an Azurite blob service on 127.0.0.1 for tests/object_store.rs, with
Azure's own SDK (azure-storage-blob), as any Azure client would.

    azurite_put.py ENDPOINT CONTAINER KEY=FILE...

ENDPOINT is the blob service URL (http://127.0.0.1:PORT/devstoreaccount1); the account is
Azurite's documented development account.
"""

from __future__ import annotations

import sys

from azure.storage.blob import BlobServiceClient

# Azurite's published development account key (not a secret).
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def main() -> None:
    endpoint, container = sys.argv[1], sys.argv[2]
    service = BlobServiceClient(
        account_url=endpoint,
        credential={"account_name": "devstoreaccount1", "account_key": DEV_KEY},
    )
    client = service.create_container(container)
    for pair in sys.argv[3:]:
        key, path = pair.split("=", 1)
        with open(path, "rb") as f:
            client.upload_blob(key, f, overwrite=True)
    print("OK")


if __name__ == "__main__":
    main()
