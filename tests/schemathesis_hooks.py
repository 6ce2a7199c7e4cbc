"""Hooks of the API contract run (tests/integration/api_contract.rs, issue 20 point 1).

A CMS signature travels as `application/pkcs7-signature` (DER bytes), which schemathesis
does not know how to put on the wire: send the generated value's bytes as they are, as it
does for `application/octet-stream`.
"""

import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/pkcs7-signature")
def pkcs7_signature(ctx, value):
    return {"data": serialize_binary(value)}
