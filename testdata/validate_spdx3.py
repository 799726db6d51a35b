"""Validates SPDX 3.0.1 JSON-LD documents with the SPDX project's own validator,
spdx3-validate (PyPI, pinned in testdata/requirements.txt): the JSON schema and the
SHACL model. The validator fetches both (and the JSON-LD context) from spdx.org; here
those three URLs are answered from the copies in testdata/spdx-3.0.1/ and every other
URL is refused, so validation runs offline and against exactly the published files.

Usage: validate_spdx3.py DOC.spdx.json...   exit 0 when every document is valid (then
prints "<path>: valid SPDX 3.0.1" per document); the validator's own report otherwise.
"""

import email.message
import io
import pathlib
import sys
import urllib.request
import urllib.response

HERE = pathlib.Path(__file__).resolve().parent / "spdx-3.0.1"
SERVED = {
    "https://spdx.org/schema/3.0.1/spdx-json-schema.json": ("spdx-json-schema.json", "application/json"),
    "https://spdx.org/rdf/3.0.1/spdx-model.ttl": ("spdx-model.ttl", "text/turtle"),
    "https://spdx.org/rdf/3.0.1/spdx-context.jsonld": ("spdx-context.jsonld", "application/ld+json"),
}


class VendoredSpdx(urllib.request.BaseHandler):
    """Answers the three SPDX URLs from disk; anything else is an error."""

    handler_order = 100  # before urllib's own HTTP(S) handlers

    def _serve(self, req):
        url = req.full_url
        if url not in SERVED:
            raise urllib.error.URLError(f"offline validation: {url} is not vendored")
        name, content_type = SERVED[url]
        headers = email.message.Message()
        headers["Content-Type"] = content_type
        body = io.BytesIO((HERE / name).read_bytes())
        response = urllib.response.addinfourl(body, headers, url, 200)
        response.msg = "OK"
        return response

    https_open = _serve
    http_open = _serve


def main(paths):
    urllib.request.install_opener(urllib.request.build_opener(VendoredSpdx()))
    from spdx3_validate.main import main as spdx3_validate

    # One run: the SHACL model is loaded once for all documents.
    args = ["--quiet", "--no-merge", "--spdx-version", "3.0.1"]
    for path in paths:
        args += ["--json", path]
    code = spdx3_validate(args)
    for path in paths:
        print(f"{path}: {'valid SPDX 3.0.1' if code == 0 else 'not all documents are valid'}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
