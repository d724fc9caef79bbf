"""Writing query results as bytes: SPARQL JSON, XML, CSV and TSV for solutions (a store's
solutions written by pyoxigraph into a byte-capped buffer and counted in the bytes; rows that
come from elsewhere, such as a remote store, written here), booleans, and the RDF formats for
graphs (written by pyoxigraph).

XML 1.0 cannot carry most control characters even as references, so XML outputs replace them
with U+FFFD and stay well-formed; JSON escapes them and loses nothing.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring as _json_string
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ipkg.build.terms import XSD_STRING
from ipkg.errors import IpkgError
from ipkg.sparql.formats import RDF_FORMATS as REGISTERED_RDF
from ipkg.sparql.formats import ResultFormat

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ILLEGAL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
RDF_FORMATS = REGISTERED_RDF  # from the one format registry


class ResultTooLarge(IpkgError):
    """The result passed the configured cap on rows or bytes."""


def xml_text(value: str) -> str:
    """Text safe inside an XML 1.0 element."""
    return escape(_XML_ILLEGAL.sub("\ufffd", value))


def xml_safe_bytes(data: bytes) -> bytes:
    """UTF-8 XML with characters XML 1.0 forbids replaced by U+FFFD."""
    return _XML_ILLEGAL_BYTES.sub("\ufffd".encode(), data)


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": str(term)}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _json_term_text(term: Term) -> str:
    """``_json_term`` written straight to JSON text: the hot loop of large JSON results."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _json_string(term.value) + "}"
    if isinstance(term, ox.Literal):
        text = '{"type":"literal","value":' + _json_string(term.value)
        if term.language:
            return text + ',"xml:lang":' + _json_string(term.language) + "}"
        if term.datatype.value != XSD_STRING:
            return text + ',"datatype":' + _json_string(term.datatype.value) + "}"
        return text + "}"
    return json.dumps(_json_term(term), ensure_ascii=False, separators=(",", ":"))


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        return f"<literal>{xml_text(str(term))}</literal>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{xml_text(term.value)}</literal>"
    if term.datatype.value != XSD_STRING:
        datatype = quoteattr(term.datatype.value)
        return f"<literal datatype={datatype}>{xml_text(term.value)}</literal>"
    return f"<literal>{xml_text(term.value)}</literal>"


def csv_field(term: Term | None) -> str:
    """A term as an RFC 4180 field of SPARQL CSV: lexical forms, quoted only when needed."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        value = "_:" + term.value
    elif isinstance(term, ox.NamedNode | ox.Literal):
        value = term.value
    else:
        value = str(term)
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def tsv_field(term: Term | None) -> str:
    """A term as a field of SPARQL TSV: N-Triples syntax, tabs and newlines escaped."""
    if term is None:
        return ""
    return str(term).replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Capped:
    """Collects output text and raises once it passes ``limit`` bytes. Characters are counted
    as they come (never more than the UTF-8 bytes) and the bytes once at the end, so the check
    costs no encoding per row."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def add(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limit:
            self._too_large()
        self.parts.append(text)

    def value(self) -> bytes:
        data = "".join(self.parts).encode("utf-8")
        if len(data) > self.limit:
            self._too_large()
        return data

    def _too_large(self) -> None:
        raise ResultTooLarge(f"result is larger than {self.limit} bytes")


def _capped_rows(rows: Iterable[Row], max_rows: int) -> Iterator[Row]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise ResultTooLarge(f"result has more than {max_rows} rows")
        yield row


def write_solutions(
    fmt: ResultFormat, variables: Sequence[str], rows: Iterable[Row], max_rows: int, max_bytes: int
) -> tuple[bytes, int]:
    """SELECT results in ``fmt``; returns the bytes and the number of rows."""
    out = _Capped(max_bytes)
    count = 0
    if fmt.key == "json":
        out.add(
            '{"head":{"vars":'
            + json.dumps(list(variables), separators=(",", ":"))
            + '},"results":{"bindings":['
        )
        keys = [_json_string(v) + ":" for v in variables]
        for count, row in enumerate(_capped_rows(rows, max_rows), start=1):
            cells = ",".join(
                key + _json_term_text(t) for key, t in zip(keys, row, strict=True) if t is not None
            )
            out.add(("{" if count == 1 else ",{") + cells + "}")
        out.add("]}}")
    elif fmt.key == "xml":
        head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
        out.add(
            '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns='
            f'"http://www.w3.org/2005/sparql-results#"><head>{head}</head><results>'
        )
        for row in _capped_rows(rows, max_rows):
            count += 1
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            )
            out.add(f"<result>{cells}</result>")
        out.add("</results></sparql>\n")
    else:
        field, sep = (csv_field, ",") if fmt.key == "csv" else (tsv_field, "\t")
        header = variables if fmt.key == "csv" else ["?" + v for v in variables]
        out.add(sep.join(header) + "\r\n" if fmt.key == "csv" else sep.join(header) + "\n")
        end = "\r\n" if fmt.key == "csv" else "\n"
        for row in _capped_rows(rows, max_rows):
            count += 1
            out.add(sep.join(field(t) for t in row) + end)
    return out.value(), count


class _CappedOutput(io.RawIOBase):
    """A sink that raises ResultTooLarge as soon as more than ``limit`` bytes come: the
    serialiser stops there, so a result never takes more memory than its cap."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:  # type: ignore[override]
        if len(self.data) + len(chunk) > self.limit:
            raise ResultTooLarge(f"result is larger than {self.limit} bytes")
        self.data += chunk
        return len(chunk)


ENGINE_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# A JSON string as pyoxigraph writes it (a quote inside is always escaped), and a CSV field in
# quotes (a quote inside is doubled): taken out, what is left shows the rows unambiguously.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_CSV_QUOTED = re.compile(rb'"[^"]*(?:""[^"]*)*"')


def _json_rows(data: bytes) -> int:
    """Solutions in pyoxigraph's SPARQL JSON. Rows are separated by ``},{``; inside a string
    that can only be followed by the string's end, so ``},{"`` then ``}`` or ``,`` is no row.
    An empty row (``{}``, every variable unbound) can look like string content: when ``{}``
    occurs at all, the strings are taken out first (slower, exact)."""
    if data.endswith(b'"bindings":[]}}'):
        return 0
    if b"{}" in data:
        return _JSON_STRING.sub(b"", data).count(b"},{") + 1
    return 1 + data.count(b'},{"') - data.count(b'},{"}') - data.count(b'},{",')


def _csv_rows(data: bytes) -> int:
    """Rows of SPARQL CSV, lines after the header; a quoted field may hold line breaks."""
    if b'"' in data:
        data = _CSV_QUOTED.sub(b"", data)
    return data.count(b"\r\n") - 1


ROW_COUNTS = {
    "json": _json_rows,
    "xml": lambda data: data.count(b"<result>"),  # "<" in text is always escaped
    "csv": _csv_rows,
    "tsv": lambda data: data.count(b"\n") - 1,  # line breaks in terms are escaped
}


def write_query_solutions(
    fmt: ResultFormat, solutions: ox.QuerySolutions, max_rows: int, max_bytes: int
) -> tuple[bytes, int]:
    """A store's SELECT results in ``fmt``, written by pyoxigraph (standard SPARQL JSON, XML,
    CSV and TSV, several times faster than :func:`write_solutions`), stopped past
    ``max_bytes``; returns the bytes and the number of rows, refused past ``max_rows``."""
    sink = _CappedOutput(max_bytes)
    out = io.BufferedWriter(sink, 1 << 16)  # pyoxigraph writes many small pieces
    solutions.serialize(out, ENGINE_FORMATS[fmt.key])
    out.flush()
    data = bytes(sink.data)
    if fmt.key == "xml":
        data = xml_safe_bytes(data)
        if len(data) > max_bytes:
            raise ResultTooLarge(f"result is larger than {max_bytes} bytes")
    count = ROW_COUNTS[fmt.key](data)
    if count > max_rows:
        raise ResultTooLarge(f"result has more than {max_rows} rows")
    return data, count


def write_boolean(fmt: ResultFormat, value: bool) -> bytes:
    """ASK results in ``fmt``."""
    word = "true" if value else "false"
    if fmt.key == "xml":
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/'
            f'sparql-results#"><head/><boolean>{word}</boolean></sparql>\n'
        ).encode()
    return ('{"head":{},"boolean":' + word + "}").encode()


def write_graph(
    fmt: ResultFormat,
    triples: Iterable[ox.Triple],
    max_rows: int,
    max_bytes: int,
    prefixes: dict[str, str] | None = None,
) -> tuple[bytes, int]:
    """CONSTRUCT/DESCRIBE results in ``fmt``; returns the bytes and the number of triples."""
    collected = list(_capped_rows(triples, max_rows))
    buffer = io.BytesIO()
    options = {"prefixes": prefixes} if prefixes and fmt.key in ("turtle", "trig") else {}
    if fmt.key in ("trig", "nquads"):
        graph = ox.DefaultGraph()
        items: list = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in collected]
    else:
        items = collected
    ox.serialize(items, buffer, format=RDF_FORMATS[fmt.key], **options)
    data = buffer.getvalue()
    if fmt.key == "rdfxml":
        data = xml_safe_bytes(data)
    if len(data) > max_bytes:
        raise ResultTooLarge(f"result is larger than {max_bytes} bytes")
    return data, len(collected)
