"""Kibana saved objects (config/kibana/*.ndjson): import through the saved-objects API, list fields used.

The objects are written in the Kibana 7.10 format; Kibana 8 migrates them on import. Dashboards
read the flat per-target fields (`by_target.<target>.*`, `hostile_toward`), the same ones trends
and filters use.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from mediawatch.errors import InputError, StoreUnavailable
from mediawatch.settings import CONFIG_DIR, ElasticsearchSettings

__all__ = ["SAVED_OBJECTS", "load_saved_objects", "referenced_fields", "import_saved_objects"]

SAVED_OBJECTS = CONFIG_DIR / "kibana" / "mediawatch.ndjson"
_KQL_FIELD = re.compile(r"([A-Za-z_][\w.]*)\s*:")


def load_saved_objects(path: Path = SAVED_OBJECTS) -> list[dict[str, Any]]:
    """Return the saved objects of an NDJSON export file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    return [json.loads(line) for line in lines if line.strip()]


def _search_source_fields(attributes: dict[str, Any]) -> set[str]:
    meta = attributes.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
    if not meta:
        return set()
    query = json.loads(meta).get("query", {}).get("query", "")
    return set(_KQL_FIELD.findall(query))


def _vis_fields(vis_state: dict[str, Any]) -> set[str]:
    fields = {agg["params"]["field"] for agg in vis_state.get("aggs", []) if "field" in agg.get("params", {})}
    params = vis_state.get("params", {})
    for series in params.get("series", []):
        fields.update(m["field"] for m in series.get("metrics", []) if m.get("field") and m["type"] != "math")
        if series.get("terms_field"):
            fields.add(series["terms_field"])
    if params.get("time_field"):
        fields.add(params["time_field"])
    return fields


def referenced_fields(objects: list[dict[str, Any]]) -> set[str]:
    """Return every document field the saved objects read (columns, sorts, queries, aggregations)."""
    fields: set[str] = set()
    for obj in objects:
        attributes = obj["attributes"]
        fields |= _search_source_fields(attributes)
        if obj["type"] == "index-pattern" and attributes.get("timeFieldName"):
            fields.add(attributes["timeFieldName"])
        if obj["type"] == "search":
            fields.update(attributes.get("columns", []))
            fields.update(column for column, _ in attributes.get("sort", []))
        if obj["type"] == "visualization":
            fields |= _vis_fields(json.loads(attributes["visState"]))
    return fields


def _multipart(path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/ndjson\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def import_saved_objects(kibana_url: str, auth: ElasticsearchSettings, path: Path = SAVED_OBJECTS,
                         timeout_s: float = 30) -> dict[str, Any]:
    """POST the objects to Kibana's `_import` API (overwrite); returns Kibana's JSON answer."""
    body, content_type = _multipart(path)
    request = urllib.request.Request(f"{kibana_url.rstrip('/')}/api/saved_objects/_import?overwrite=true",
                                     data=body, method="POST",
                                     headers={"kbn-xsrf": "mediawatch", "Content-Type": content_type})
    if auth.api_key:
        request.add_header("Authorization", f"ApiKey {auth.api_key.get_secret_value()}")
    elif auth.username:
        secret = auth.password.get_secret_value() if auth.password else ""
        token = base64.b64encode(f"{auth.username}:{secret}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    context = ssl.create_default_context(cafile=auth.ca_file or None)
    if not auth.verify_certs:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        raise StoreUnavailable(f"Kibana at {kibana_url} refused the import: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoreUnavailable(f"Kibana at {kibana_url} is unreachable: {reason}") from None
