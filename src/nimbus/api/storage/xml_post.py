"""``POST /{bucket}``: an HTML form upload signed by a V4 POST policy (``post_policy``),
as ``Client.generate_signed_post_policy_v4`` makes them. The fields come first, the
file last, so the file streams to storage; the answer is 204, or what
``success_action_status`` (200, 201) or ``success_action_redirect`` ask for."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from fastapi import Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.deps import call, cloud_of
from nimbus.api.storage import xml_headers
from nimbus.api.storage.multipart import MultipartReader, boundary_of
from nimbus.api.storage.writing import store_content
from nimbus.core.errors import InvalidArgument
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.models import StoredObject

FORM = "multipart/form-data"
# In a form's key, the name of the file the browser sends.
FILENAME = "${filename}"


async def post_form(bucket: str, request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith(FORM):
        raise InvalidArgument(f"A POST to a bucket is a form upload: it needs {FORM}.")
    cloud = cloud_of(request)
    reader = MultipartReader(request.stream(), boundary_of(content_type))
    form = await reader.form("file")
    signed = await call(cloud.post_policies.authenticate, bucket, form)
    # The policy's conditions hold for the key as sent; the name has the file's own.
    name = form["key"].replace(FILENAME, reader.filename or "")
    await call(cloud.objects.authorize_write, signed.caller, bucket, name)
    resource = xml_headers.object_resource(form)
    if form.get("acl"):
        resource["acl"] = xml_headers.canned_acl(form["acl"])
    content = await store_content(cloud, reader.media())
    await call(cloud.post_policies.accept_size, signed, content)
    spec = ObjectSpec.from_resource(resource)
    _, row = await call(
        cloud.objects.insert, signed.caller, bucket, name, content, spec, Preconditions()
    )
    return _answer(request, form, row)


def _answer(request: Request, form: Mapping[str, str], row: StoredObject) -> Response:
    headers = xml_headers.written(row)
    redirect = form.get("success_action_redirect")
    if redirect:
        query = urlencode({"bucket": row.bucket, "key": row.name, "etag": headers["ETag"]})
        location = f"{redirect}{'&' if '?' in redirect else '?'}{query}"
        return Response(status_code=303, headers=headers | {"Location": location})
    status = form.get("success_action_status")
    if status == "200":
        return Response(status_code=200, headers=headers)
    if status == "201":
        location = f"{base_url(request)}/{row.bucket}/{quote(row.name)}"
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><PostResponse>"
            f"<Location>{escape(location)}</Location><Bucket>{escape(row.bucket)}</Bucket>"
            f"<Key>{escape(row.name)}</Key><ETag>{escape(headers['ETag'])}</ETag>"
            "</PostResponse>"
        )
        return Response(body, status_code=201, headers=headers, media_type="application/xml")
    return Response(status_code=204, headers=headers)
