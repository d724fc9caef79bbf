// The query page: SPARQL highlighting, the saved-query picker, running a query against
// /sparql, the results table, errors at their position, downloads and the shareable link.
// No dependencies, no inline code: it runs under the page's Content-Security-Policy.
"use strict";

(function () {
  const form = document.getElementById("query-form");
  if (!form) return;
  const editor = document.getElementById("query");
  const highlight = document.getElementById("highlight");
  const picker = document.getElementById("saved");
  const pickedDescription = document.getElementById("saved-description");
  const errorBox = document.getElementById("error");
  const statusLine = document.getElementById("status");
  const results = document.getElementById("results");
  const share = document.getElementById("share");
  const endpoint = form.dataset.endpoint || "/sparql";
  const base = form.dataset.base || "";
  const site = form.dataset.site || "/";
  const MAX_SHOWN = 2000;
  const ACCEPT_RESULT = "application/sparql-results+json, application/n-triples;q=0.9";

  // Highlighting ---------------------------------------------------------------------------
  const KEYWORDS = new Set((
    "SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED PREFIX BASE DISTINCT REDUCED OPTIONAL " +
    "UNION MINUS GRAPH SERVICE FILTER BIND VALUES AS ORDER BY ASC DESC LIMIT OFFSET GROUP " +
    "HAVING NOT EXISTS IN UNDEF A COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR " +
    "STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT " +
    "STRLEN UCASE LCASE CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY " +
    "NOW IF COALESCE REGEX REPLACE SUBSTR ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC " +
    "TRUE FALSE SAMETERM ENCODE_FOR_URI STRDT STRLANG"
  ).split(" "));
  const TOKEN = new RegExp([
    "(#[^\\n]*)",                                               // 1 comment
    "('''[\\s\\S]*?'''|\"\"\"[\\s\\S]*?\"\"\"|'(?:[^'\\\\\\n]|\\\\.)*'|\"(?:[^\"\\\\\\n]|\\\\.)*\")", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                                 // 3 IRI
    "([?$][A-Za-z0-9_\\u00B7-\\uFFFF]+)",                       // 4 variable
    "((?:[A-Za-z][\\w.-]*)?:[\\w.:%-]*)",                       // 5 prefixed name
    "([+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+))",        // 6 number
    "(@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",                           // 7 language tag
    "([A-Za-z_][A-Za-z0-9_]*)",                                 // 8 word
  ].join("|"), "g");
  const CLASSES = [null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname",
    "tok-number", "tok-lang", "tok-keyword"];

  function span(kind, text) {
    const element = document.createElement("span");
    element.className = kind;
    element.textContent = text;
    return element;
  }

  function highlighted(text, errorLine) {
    const fragment = document.createDocumentFragment();
    const lines = text.split("\n");
    let offset = 0;
    lines.forEach(function (line, index) {
      const lineSpan = document.createElement("span");
      lineSpan.className = index + 1 === errorLine ? "line line-error" : "line";
      let last = 0;
      TOKEN.lastIndex = 0;
      let match;
      const chunk = text.slice(offset, offset + line.length);
      while ((match = TOKEN.exec(chunk)) !== null) {
        if (match[0] === "") { TOKEN.lastIndex += 1; continue; }
        let group = 1;
        while (group < CLASSES.length && match[group] === undefined) group += 1;
        let kind = CLASSES[group];
        if (group === 8 && !KEYWORDS.has(match[0].toUpperCase())) kind = null;
        if (match.index > last) lineSpan.append(chunk.slice(last, match.index));
        lineSpan.append(kind ? span(kind, match[0]) : match[0]);
        last = match.index + match[0].length;
      }
      lineSpan.append(chunk.slice(last));
      fragment.append(lineSpan, "\n");
      offset += line.length + 1;
    });
    return fragment;
  }

  let errorLine = 0;
  function paint() {
    highlight.replaceChildren(highlighted(editor.value, errorLine));
    highlight.scrollTop = editor.scrollTop;
    highlight.scrollLeft = editor.scrollLeft;
    share.href = "/?query=" + encodeURIComponent(editor.value);
  }

  // Errors ---------------------------------------------------------------------------------
  function clearError() {
    errorLine = 0;
    errorBox.hidden = true;
    errorBox.replaceChildren();
  }

  function offsetOf(text, line, column) {
    const lines = text.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i += 1) offset += lines[i].length + 1;
    return Math.min(offset + Math.max(column - 1, 0), text.length);
  }

  function showError(message) {
    const position = /(?:error at |line )(\d+)[:,]\s*(?:column )?(\d+)/.exec(message);
    errorBox.replaceChildren();
    if (position) {
      errorLine = Number(position[1]);
      const column = Number(position[2]);
      const where = document.createElement("strong");
      where.className = "error-position";
      where.textContent = "Line " + errorLine + ", column " + column + ": ";
      errorBox.append(where);
      const lineText = editor.value.split("\n")[errorLine - 1];
      if (lineText !== undefined) {
        const excerpt = document.createElement("pre");
        excerpt.className = "error-excerpt";
        excerpt.textContent = lineText + "\n" + " ".repeat(Math.max(column - 1, 0)) + "^";
        errorBox.append(message.trim(), excerpt);
      } else {
        errorBox.append(message.trim());
      }
      const at = offsetOf(editor.value, errorLine, column);
      editor.setSelectionRange(at, at);
    } else {
      errorLine = 0;
      errorBox.append(message.trim());
    }
    errorBox.hidden = false;
    paint();
  }

  // Results --------------------------------------------------------------------------------
  const PREFIXES = {
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
  };

  function shortIri(iri) {
    for (const namespace in PREFIXES) {
      if (iri.startsWith(namespace)) return PREFIXES[namespace] + iri.slice(namespace.length);
    }
    return iri;
  }

  function hrefOf(iri) {
    if (base && iri.startsWith(base)) return site + iri.slice(base.length);
    if (/^https?:\/\//i.test(iri)) return iri;
    return null;
  }

  function termCell(term) {
    const cell = document.createElement("td");
    if (!term) return cell;
    if (term.type === "uri") {
      const href = hrefOf(term.value);
      const element = document.createElement(href ? "a" : "span");
      element.className = "iri";
      element.textContent = term.value;
      if (href) element.href = href;
      cell.append(element);
    } else if (term.type === "bnode") {
      cell.append(span("bnode", "_:" + term.value));
    } else {
      const datatype = term.datatype || "";
      const numeric = /XMLSchema#(integer|decimal|double|float|.*Integer|long|int|short|byte)$/
        .test(datatype);
      cell.append(span(numeric ? "number" : "literal", term.value));
      if (term["xml:lang"]) cell.append(span("lang", "@" + term["xml:lang"]));
      else if (datatype) cell.append(span("datatype", shortIri(datatype)));
    }
    return cell;
  }

  function table(variables, rows) {
    const element = document.createElement("table");
    element.className = "results";
    const head = element.createTHead().insertRow();
    variables.forEach(function (name) {
      const th = document.createElement("th");
      th.textContent = name;
      head.append(th);
    });
    const body = element.createTBody();
    rows.slice(0, MAX_SHOWN).forEach(function (row) {
      const tr = body.insertRow();
      variables.forEach(function (name) { tr.append(termCell(row[name])); });
    });
    return element;
  }

  // A small N-Triples reader for CONSTRUCT and DESCRIBE results.
  const NT_TERM = /\s*(<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?)/y;
  function unescapeLiteral(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, function (_, code) {
      if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16));
      return { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" }[code] || code;
    });
  }
  function triples(text) {
    const rows = [];
    text.split("\n").forEach(function (line) {
      const row = {};
      NT_TERM.lastIndex = 0;
      for (const name of ["subject", "predicate", "object"]) {
        const match = NT_TERM.exec(line);
        if (!match) return;
        if (match[2] !== undefined) row[name] = { type: "uri", value: match[2] };
        else if (match[3] !== undefined) row[name] = { type: "bnode", value: match[3] };
        else {
          row[name] = { type: "literal", value: unescapeLiteral(match[4]) };
          if (match[5]) row[name]["xml:lang"] = match[5];
          if (match[6]) row[name].datatype = match[6];
        }
      }
      rows.push(row);
    });
    return rows;
  }

  function summary(count, noun, milliseconds) {
    const shown = count > MAX_SHOWN ? " (first " + MAX_SHOWN + " shown)" : "";
    return count + " " + noun + (count === 1 ? "" : "s") + shown + " in " +
      Math.round(milliseconds) + " ms";
  }

  function showResult(contentType, text, milliseconds) {
    results.replaceChildren();
    if (contentType.startsWith("application/n-triples")) {
      const rows = triples(text);
      results.append(table(["subject", "predicate", "object"], rows));
      statusLine.textContent = summary(rows.length, "triple", milliseconds);
      return;
    }
    const data = JSON.parse(text);
    if (typeof data.boolean === "boolean") {
      const answer = document.createElement("p");
      answer.className = "boolean";
      answer.textContent = "Answer: " + (data.boolean ? "yes" : "no");
      results.append(answer);
      statusLine.textContent = "answered in " + Math.round(milliseconds) + " ms";
      return;
    }
    const rows = data.results.bindings;
    results.append(table(data.head.vars, rows));
    statusLine.textContent = summary(rows.length, "row", milliseconds);
  }

  // Running --------------------------------------------------------------------------------
  function post(accept) {
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
      body: new URLSearchParams({ query: editor.value }),
    });
  }

  async function run() {
    clearError();
    paint();
    statusLine.textContent = "running…";
    results.setAttribute("aria-busy", "true");
    const started = performance.now();
    try {
      const response = await post(ACCEPT_RESULT);
      const text = await response.text();
      const milliseconds = performance.now() - started;
      if (!response.ok) {
        results.replaceChildren();
        statusLine.textContent = "failed (" + response.status + ") after " +
          Math.round(milliseconds) + " ms";
        showError(text);
        return;
      }
      showResult(response.headers.get("Content-Type") || "", text, milliseconds);
      history.replaceState(null, "", "/?query=" + encodeURIComponent(editor.value));
    } catch (problem) {
      statusLine.textContent = "";
      showError("The request failed: " + problem.message);
    } finally {
      results.removeAttribute("aria-busy");
    }
  }

  async function download(accept, filename) {
    clearError();
    const response = await post(accept);
    if (!response.ok) {
      showError(await response.text());
      return;
    }
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  // Wiring ---------------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  editor.addEventListener("input", function () {
    if (errorLine) clearError();
    paint();
  });
  editor.addEventListener("scroll", function () {
    highlight.scrollTop = editor.scrollTop;
    highlight.scrollLeft = editor.scrollLeft;
  });
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  picker.addEventListener("change", function () {
    const option = picker.selectedOptions[0];
    if (!option || !option.value) {
      pickedDescription.hidden = true;
      return;
    }
    editor.value = option.dataset.query;
    pickedDescription.replaceChildren(option.dataset.description || "", " ");
    const api = document.createElement("a");
    api.href = "/api/queries/" + encodeURIComponent(option.value) + ".html";
    api.textContent = "As an API call";
    pickedDescription.append(api);
    pickedDescription.hidden = false;
    clearError();
    paint();
  });
  document.getElementById("download-csv").addEventListener("click", function () {
    download("text/csv", "results.csv");
  });
  document.getElementById("download-json").addEventListener("click", function () {
    // SELECT and ASK as SPARQL JSON results; CONSTRUCT and DESCRIBE as JSON-LD.
    download("application/sparql-results+json, application/ld+json;q=0.9", "results.json");
  });

  paint();
  if (form.dataset.autorun === "yes") run();
})();
