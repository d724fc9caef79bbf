"""``GET /api/openapi.json``: an OpenAPI 3 description of the saved-query API, generated from
the headers of the saved queries (one operation per query, one parameter per header param)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, render_template

from ipkg import __version__
from ipkg.queries.binding import IRI_PATTERN, MAX_VALUE_LENGTH
from ipkg.queries.saved import Catalogue, Parameter, SavedQuery
from ipkg.sparql.formats import formats_for, kind_of_form
from ipkg.web.pages import catalogue
from ipkg.web.urls import absolute, route

blueprint = Blueprint("openapi", __name__)

TEXT = {"schema": {"type": "string"}}
DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TYPE_SCHEMAS: dict[str, dict] = {
    "iri": {"type": "string", "pattern": IRI_PATTERN, "minLength": 1},
    "string": {"type": "string"},
    "langstring": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "pattern": DECIMAL_PATTERN},
    "date": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
}
TYPE_HINTS = {
    "iri": "An absolute IRI.",
    "string": "A plain string.",
    "langstring": "A string with a language tag, written text@tag (without a tag: @en).",
    "integer": "An integer.",
    "decimal": "A decimal number (digits with one '.', no exponent).",
    "date": "A date, YYYY-MM-DD.",
}
ERRORS = {
    "400": "A parameter value does not fit its type (the message names the parameter).",
    "404": "No such page of the result.",
    "406": "The Accept header allows none of the formats.",
    "429": "Too many requests from this client.",
    "503": "The query stopped at its deadline, or every query worker is busy.",
}
COMPONENTS = {
    "schemas": {
        "Term": {
            "type": "object",
            "required": ["type", "value"],
            "properties": {
                "type": {"type": "string", "enum": ["uri", "literal", "bnode", "triple"]},
                "value": {"type": "string"},
                "xml:lang": {"type": "string"},
                "datatype": {"type": "string"},
            },
        },
        "SparqlResults": {
            "type": "object",
            "required": ["head", "results"],
            "properties": {
                "head": {
                    "type": "object",
                    "required": ["vars"],
                    "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
                },
                "results": {
                    "type": "object",
                    "required": ["bindings"],
                    "properties": {
                        "bindings": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": {"$ref": "#/components/schemas/Term"},
                            },
                        }
                    },
                },
            },
        },
        "SparqlBoolean": {
            "type": "object",
            "required": ["head", "boolean"],
            "properties": {"head": {"type": "object"}, "boolean": {"type": "boolean"}},
        },
        "Parameter": {
            "type": "object",
            "required": ["name", "type"],
            "properties": {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": sorted(TYPE_SCHEMAS)},
                "description": {"type": "string"},
                "default": {"type": "string", "nullable": True},
                "allowed": {"type": "array", "items": {"type": "string"}},
            },
        },
        "SavedQuery": {
            "type": "object",
            "required": ["name", "title", "description", "tags", "parameters", "url"],
            "properties": {
                "name": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "form": {"type": "string", "enum": ["SELECT", "CONSTRUCT", "DESCRIBE", "ASK"]},
                "pagination": {"type": "integer", "nullable": True},
                "parameters": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Parameter"},
                },
                "url": {"type": "string"},
                "formats": {"type": "array", "items": {"type": "string"}},
                "sparql": {"type": "string"},
            },
        },
        "Catalogue": {
            "type": "object",
            "required": ["queries"],
            "properties": {
                "queries": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/SavedQuery"},
                },
                "openapi": {"type": "string"},
            },
        },
    }
}


def parameter_schema(parameter: Parameter) -> dict:
    """The JSON Schema of a parameter's values."""
    if parameter.allowed:
        schema: dict = {"type": "string", "enum": list(parameter.allowed)}
    else:
        schema = {**TYPE_SCHEMAS[parameter.type]}
        if schema["type"] == "string":
            schema["maxLength"] = MAX_VALUE_LENGTH
    if parameter.default is not None:
        schema["default"] = (
            int(parameter.default) if parameter.type == "integer" else parameter.default
        )
    return schema


def _parameters(query: SavedQuery) -> list[dict]:
    listed = [
        {
            "name": p.name,
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "description": " ".join(
                part
                for part in (
                    p.description,
                    TYPE_HINTS[p.type],
                    "Bound to ?" + p.name + " as an RDF term, never pasted into the text.",
                    "Not given: the default." if p.default is not None else "Not given: unbound.",
                )
                if part
            ),
            "schema": parameter_schema(p),
        }
        for p in query.params
    ]
    if query.pagination:
        listed.append(
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": f"Page of {query.pagination} rows; the Link header has the others.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1},
            }
        )
    return listed


def _content(query: SavedQuery) -> dict:
    content: dict = {}
    for fmt in formats_for(kind_of_form(query.form)):
        if fmt.key == "json":
            ref = "SparqlResults" if query.form == "SELECT" else "SparqlBoolean"
            content[fmt.media_type] = {"schema": {"$ref": f"#/components/schemas/{ref}"}}
        else:
            content[fmt.media_type] = TEXT
    content["text/html"] = TEXT
    return content


def _headers(query: SavedQuery) -> dict:
    headers = {
        "ETag": {"description": "Validator for If-None-Match.", "schema": {"type": "string"}},
        "X-Result-Count": {"description": "Rows in this response.", "schema": {"type": "string"}},
    }
    if query.pagination:
        headers["Link"] = {
            "description": "first, prev, next and last pages (RFC 8288).",
            "schema": {"type": "string"},
        }
    return headers


def operation_id(name: str) -> str:
    return "run_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _operation(query: SavedQuery) -> dict:
    extensions = ", ".join("." + f.extension for f in formats_for(kind_of_form(query.form)))
    responses: dict = {
        "200": {
            "description": f"The result ({query.form}).",
            "headers": _headers(query),
            "content": _content(query),
        },
        "304": {"description": "Not modified: the ETag given in If-None-Match still holds."},
    }
    for status, description in ERRORS.items():
        responses[status] = {"description": description, "content": {"text/plain": TEXT}}
    responses["414"] = {
        "description": "The URL is longer than the server reads (8 KiB request line).",
        "content": {"text/html": TEXT, "text/plain": TEXT},
    }
    return {
        "operationId": operation_id(query.name),
        "summary": query.title,
        "description": (
            f"{query.description}\n\nFormats by Accept, or by extension "
            f"(/api/queries/{query.name}{{{extensions}, .html}}).\n\n```sparql\n"
            f"{query.sparql.rstrip()}\n```"
        ).strip(),
        "tags": list(query.tags) or ["queries"],
        "parameters": _parameters(query),
        "responses": responses,
    }


def document(catalogue: Catalogue, server: str) -> dict:
    """The OpenAPI 3.0 document of the saved-query API served at ``server``."""
    paths: dict = {
        "/api/queries": {
            "get": {
                "operationId": "catalogue",
                "summary": "The saved queries: name, title, description, tags, parameters.",
                "tags": ["catalogue"],
                "responses": {
                    "200": {
                        "description": "The catalogue.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Catalogue"}
                            },
                            "text/html": TEXT,
                        },
                    },
                    "406": {"description": ERRORS["406"], "content": {"text/plain": TEXT}},
                    "429": {"description": ERRORS["429"], "content": {"text/plain": TEXT}},
                },
            }
        }
    }
    for query in catalogue.queries:
        paths[f"/api/queries/{query.name}"] = {"get": _operation(query)}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ipkg saved-query API",
            "version": __version__,
            "description": (
                "Saved SPARQL queries over the knowledge graph, callable without writing SPARQL. "
                "Parameters are validated by type and bound to the query's variables. Results "
                "are cached in memory with ETag and If-None-Match. Arbitrary queries go to "
                "/sparql (the SPARQL 1.1 Protocol)."
            ),
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": COMPONENTS,
    }


@blueprint.get("/api/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document, for the host the request came to."""
    body = document(catalogue(), absolute().rstrip("/"))
    response = current_app.json.response(body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.get("/api/docs")
def api_docs() -> Response:
    """Interactive docs of the saved-query API (Swagger UI, served from this service)."""
    page = render_template("api_docs.html", spec=route("openapi.openapi_document"))
    return Response(page, content_type="text/html; charset=utf-8")
