// The query page: SPARQL highlighting, known prefixes (added when typed or on a click),
// completion of prefixed names, the saved-query picker, history, running a query against
// /sparql, a sortable paged results table with labels, errors at their position (a missing
// prefix offers to add it), downloads and the shareable link.
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
  const historyPicker = document.getElementById("history");
  const completions = document.getElementById("completions");
  const endpoint = form.dataset.endpoint || "/sparql";
  const base = form.dataset.base || "";
  const site = form.dataset.site || "/";
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
    share.href = site + "?query=" + encodeURIComponent(editor.value);
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
    const missing = /prefix '([A-Za-z][\w.-]*):' is not declared/.exec(message);
    if (missing && known[missing[1]]) {
      const fix = document.createElement("button");
      fix.type = "button";
      fix.className = "add-prefix";
      fix.textContent = "Add PREFIX " + missing[1] + ": and run again";
      fix.addEventListener("click", function () {
        addPrefixes(missingPrefixes(editor.value));
        run();
      });
      errorBox.append(fix);
    }
    errorBox.hidden = false;
    paint();
  }

  // Prefixes -------------------------------------------------------------------------------
  // The dataset's and the common vocabularies' prefixes: added when typed, on a click, or from
  // the error that says one is missing.
  const known = JSON.parse(form.dataset.prefixes || "{}");

  function declared(text) {
    const found = {};
    const pattern = /PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>/gi;
    let match;
    while ((match = pattern.exec(text)) !== null) found[match[1] || ""] = match[2];
    return found;
  }

  function usedPrefixes(text) {
    const code = text.replace(/#[^\n]*|<[^<>\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, " ");
    const used = [];
    const pattern = /(?:^|[^\w?$:.-])([A-Za-z][\w-]*):(?=[\w%])/g;
    let match;
    while ((match = pattern.exec(code)) !== null) {
      if (!used.includes(match[1])) used.push(match[1]);
    }
    return used;
  }

  function missingPrefixes(text) {
    const have = declared(text);
    return usedPrefixes(text).filter(function (name) { return !(name in have) && known[name]; });
  }

  function addPrefixes(names) {
    if (!names.length) return;
    const lines = names.map(function (n) { return "PREFIX " + n + ": <" + known[n] + ">\n"; })
      .join("");
    const top = /^(?:[ \t]*(?:PREFIX|BASE)[^\n]*\n)*/i.exec(editor.value)[0].length;
    const start = editor.selectionStart;
    const end = editor.selectionEnd;
    editor.value = editor.value.slice(0, top) + lines + editor.value.slice(top);
    const shift = start >= top ? lines.length : 0;
    editor.setSelectionRange(start + shift, end + shift);
    edited();
  }

  function prefixTyped() {
    // Called after a ':' was typed: declare the prefix before it if it is a known one.
    const before = editor.value.slice(0, editor.selectionStart);
    const line = before.slice(before.lastIndexOf("\n") + 1);
    if (/^\s*PREFIX\b/i.test(line)) return;
    const match = /(?:^|[^\w?$:.-])([A-Za-z][\w-]*):$/.exec(before);
    if (match && known[match[1]] && !(match[1] in declared(editor.value))) addPrefixes([match[1]]);
  }

  function shortIri(iri) {
    let best = null;
    for (const name in known) {
      const namespace = known[name];
      if (iri.startsWith(namespace) && /^[\w-]+$/.test(iri.slice(namespace.length)) &&
          (!best || namespace.length > known[best].length)) best = name;
    }
    return best === null ? iri : best + ":" + iri.slice(known[best].length);
  }

  // Completion -------------------------------------------------------------------------------
  // Prefixed names of the ontology and of the predicates and classes the data uses.
  let terms = null;
  let offered = [];
  let chosen = 0;

  let asked = 0;

  function loadTerms() {
    // One request for the page's life; completions wait for it.
    if (terms === null) {
      terms = fetch(site + "query/terms.json")
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (iris) {
          return iris.map(shortIri).filter(function (name) { return !/^[a-z][\w+.-]*:\/\//i.test(name); });
        })
        .catch(function () { return []; });
    }
    return terms;
  }

  function wordAtCaret() {
    const before = editor.value.slice(0, editor.selectionStart);
    const match = /(?:^|[^\w?$:.-])([A-Za-z][\w-]*:[\w-]*)$/.exec(before);
    return match ? match[1] : null;
  }

  function closeCompletions() {
    offered = [];
    completions.hidden = true;
    completions.replaceChildren();
  }

  async function complete(explicit) {
    const ticket = ++asked;
    if (!wordAtCaret()) { closeCompletions(); return; }
    const names = await loadTerms();
    const word = wordAtCaret();
    if (ticket !== asked) return;  // a later keystroke asked again
    if (!word || (!explicit && !known[word.split(":")[0]])) { closeCompletions(); return; }
    offered = names.filter(function (n) { return n.startsWith(word) && n !== word; }).slice(0, 12);
    chosen = 0;
    completions.replaceChildren();
    offered.forEach(function (name, index) {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.textContent = name;
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        chosen = index;
        accept();
      });
      completions.append(item);
    });
    completions.hidden = offered.length === 0;
    markChosen();
  }

  function markChosen() {
    Array.from(completions.children).forEach(function (item, index) {
      item.setAttribute("aria-selected", index === chosen ? "true" : "false");
    });
  }

  function accept() {
    const word = wordAtCaret();
    const name = offered[chosen];
    if (!word || !name) { closeCompletions(); return; }
    const at = editor.selectionStart;
    editor.value = editor.value.slice(0, at - word.length) + name + editor.value.slice(at);
    const caret = at - word.length + name.length;
    editor.setSelectionRange(caret, caret);
    closeCompletions();
    const missing = missingPrefixes(editor.value);
    if (missing.length) addPrefixes(missing); else edited();
  }

  // Results ----------------------------------------------------------------------------------
  // A sortable table, PAGE_SIZE rows at a time, with labels (in the reader's language, from
  // /labels) shown for IRIs and the IRI itself beside them.
  const PAGE_SIZE = 50;
  const labels = {};
  let shown = { variables: [], rows: [], page: 0, sortBy: null, ascending: true };

  function hrefOf(iri) {
    if (base && iri.startsWith(base)) return site + iri.slice(base.length);
    if (/^https?:\/\//i.test(iri)) return iri;
    return null;
  }

  function iriCell(cell, iri) {
    const href = hrefOf(iri);
    const element = document.createElement(href ? "a" : "span");
    element.className = "iri";
    element.title = iri;
    if (href) element.href = href;
    const label = labels[iri];
    const short = shortIri(iri);
    element.textContent = label ? label.label : short;
    if (label && label.lang) element.lang = label.lang;
    cell.append(element);
    if (label || short !== iri) {
      const beside = document.createElement("code");
      beside.className = "iri-beside";
      beside.textContent = label ? short : iri;
      cell.append(beside);
    }
  }

  function termCell(term) {
    const cell = document.createElement("td");
    if (!term) return cell;
    if (term.type === "uri") {
      iriCell(cell, term.value);
    } else if (term.type === "bnode") {
      cell.append(span("bnode", "_:" + term.value));
    } else {
      const datatype = term.datatype || "";
      const date = /XMLSchema#(date|dateTime|gYear|gYearMonth)$/.test(datatype);
      cell.append(span(isNumeric(term) ? "number" : date ? "literal date" : "literal", term.value));
      if (term["xml:lang"]) cell.append(span("lang", "@" + term["xml:lang"]));
      else if (datatype) cell.append(span("datatype", shortIri(datatype)));
    }
    return cell;
  }

  function isNumeric(term) {
    return Boolean(term && term.type === "literal" && /XMLSchema#(integer|decimal|double|float|.*Integer|long|int|short|byte)$/
      .test(term.datatype || ""));
  }

  function sortKey(term) {
    if (!term) return "";
    if (term.type === "uri") return (labels[term.value] ? labels[term.value].label : term.value);
    return term.value;
  }

  function compareTerms(a, b) {
    if (isNumeric(a) && isNumeric(b)) return Number(a.value) - Number(b.value);
    if (!a || !b) return a ? -1 : b ? 1 : 0;
    return sortKey(a).localeCompare(sortKey(b), undefined, { numeric: true });
  }

  function sortBy(name) {
    shown.ascending = shown.sortBy === name ? !shown.ascending : true;
    shown.sortBy = name;
    const sign = shown.ascending ? 1 : -1;
    shown.rows = shown.rows.slice().sort(function (x, y) {
      return sign * compareTerms(x[name], y[name]);
    });
    shown.page = 0;
    render();
  }

  function pager(count) {
    const nav = document.createElement("nav");
    nav.className = "pager";
    const first = shown.page * PAGE_SIZE;
    const last = Math.min(first + PAGE_SIZE, count);
    const where = document.createElement("span");
    where.className = "range";
    where.textContent = "Rows " + (count ? first + 1 : 0) + "–" + last + " of " + count;
    const previous = document.createElement("button");
    previous.type = "button";
    previous.className = "previous";
    previous.textContent = "‹ Previous";
    previous.disabled = shown.page === 0;
    previous.addEventListener("click", function () { shown.page -= 1; render(); });
    const next = document.createElement("button");
    next.type = "button";
    next.className = "next";
    next.textContent = "Next ›";
    next.disabled = last >= count;
    next.addEventListener("click", function () { shown.page += 1; render(); });
    nav.append(where, " ", previous, " ", next);
    return nav;
  }

  function render() {
    const element = document.createElement("table");
    element.className = "results";
    const head = element.createTHead().insertRow();
    shown.variables.forEach(function (name) {
      const th = document.createElement("th");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = name;
      if (shown.sortBy === name) {
        th.setAttribute("aria-sort", shown.ascending ? "ascending" : "descending");
        button.textContent = name + (shown.ascending ? " ▲" : " ▼");
      }
      button.addEventListener("click", function () { sortBy(name); });
      th.append(button);
      head.append(th);
    });
    const body = element.createTBody();
    const page = shown.rows.slice(shown.page * PAGE_SIZE, (shown.page + 1) * PAGE_SIZE);
    page.forEach(function (row) {
      const tr = body.insertRow();
      shown.variables.forEach(function (name) { tr.append(termCell(row[name])); });
    });
    const wrap = document.createElement("div");
    wrap.className = "table-scroll";
    wrap.append(element);
    results.replaceChildren(wrap);
    if (shown.rows.length > PAGE_SIZE) results.append(pager(shown.rows.length));
    fetchLabels(page);
  }

  async function fetchLabels(rows) {
    const wanted = [];
    rows.forEach(function (row) {
      shown.variables.forEach(function (name) {
        const term = row[name];
        if (term && term.type === "uri" && !(term.value in labels) && !wanted.includes(term.value)) {
          wanted.push(term.value);
        }
      });
    });
    if (!wanted.length) return;
    const query = new URLSearchParams();
    wanted.slice(0, 200).forEach(function (iri) { query.append("iri", iri); });
    try {
      const response = await fetch(site + "labels?" + query.toString());
      if (!response.ok) return;
      const found = await response.json();
      wanted.forEach(function (iri) { labels[iri] = found[iri] || null; });
      if (Object.keys(found).length) render();
    } catch (problem) {
      // Labels are a convenience: the table stays as it is.
    }
  }

  function show(variables, rows) {
    shown = { variables: variables, rows: rows, page: 0, sortBy: null, ascending: true };
    render();
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
    return count + " " + noun + (count === 1 ? "" : "s") + " in " + Math.round(milliseconds) +
      " ms";
  }

  function showResult(contentType, text, milliseconds) {
    results.replaceChildren();
    if (contentType.startsWith("application/n-triples")) {
      const rows = triples(text);
      show(["subject", "predicate", "object"], rows);
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
    show(data.head.vars, rows);
    statusLine.textContent = summary(rows.length, "row", milliseconds);
  }

  // History ----------------------------------------------------------------------------------
  // The last queries run in this browser (localStorage; nothing leaves the browser).
  const HISTORY_KEY = "ipkg.query-history";
  const HISTORY_SIZE = 25;

  function readHistory() {
    try {
      const stored = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(stored) ? stored.filter(function (q) { return typeof q === "string"; }) : [];
    } catch (problem) {
      return [];
    }
  }

  function summaryOf(query) {
    const line = query.split("\n").map(function (l) { return l.trim(); })
      .find(function (l) { return l && !/^(PREFIX|BASE)\b/i.test(l) && !l.startsWith("#"); });
    const text = (line || query.trim()).replace(/\s+/g, " ");
    return text.length > 90 ? text.slice(0, 89) + "…" : text;
  }

  function fillHistory() {
    const first = historyPicker.options[0];
    historyPicker.replaceChildren(first);
    readHistory().forEach(function (query, index) {
      const option = document.createElement("option");
      option.value = String(index);
      option.textContent = summaryOf(query);
      option.title = query;
      historyPicker.append(option);
    });
  }

  function remember(query) {
    const list = [query].concat(readHistory().filter(function (q) { return q !== query; }));
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_SIZE)));
    } catch (problem) {
      return;  // storage full or disabled: no history, the page still works
    }
    fillHistory();
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
      remember(editor.value);
      history.replaceState(null, "", site + "?query=" + encodeURIComponent(editor.value));
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
  function edited() {
    // After an edit the query is no longer the saved one the picker names.
    const option = picker.selectedOptions[0];
    if (option && option.value && option.dataset.query !== editor.value) {
      picker.value = "";
      pickedDescription.hidden = true;
    }
    if (errorLine) clearError();
    paint();
  }
  editor.addEventListener("input", function (event) {
    edited();
    if (event.data === ":") prefixTyped();
    if (event.inputType && event.inputType.startsWith("insert")) complete(false);
    else closeCompletions();
  });
  editor.addEventListener("blur", function () {
    setTimeout(function () { if (document.activeElement !== editor) closeCompletions(); }, 150);
  });
  editor.addEventListener("scroll", function () {
    highlight.scrollTop = editor.scrollTop;
    highlight.scrollLeft = editor.scrollLeft;
  });
  editor.addEventListener("keydown", function (event) {
    if (!completions.hidden && offered.length) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        chosen = (chosen + (event.key === "ArrowDown" ? 1 : offered.length - 1)) % offered.length;
        markChosen();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        accept();
        return;
      }
      if (event.key === "Escape") { closeCompletions(); return; }
    }
    if (event.key === " " && event.ctrlKey) {
      event.preventDefault();
      complete(true);
      return;
    }
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
    api.href = site + "api/queries/" + encodeURIComponent(option.value) + ".html";
    api.textContent = "As an API call";
    pickedDescription.append(api);
    pickedDescription.hidden = false;
    clearError();
    paint();
  });
  historyPicker.addEventListener("change", function () {
    const query = readHistory()[Number(historyPicker.value)];
    if (historyPicker.value === "" || query === undefined) return;
    editor.value = query;
    picker.value = "";
    pickedDescription.hidden = true;
    clearError();
    paint();
  });
  document.getElementById("add-prefixes").addEventListener("click", function () {
    addPrefixes(missingPrefixes(editor.value));
  });
  document.getElementById("download-csv").addEventListener("click", function () {
    download("text/csv", "results.csv");
  });
  document.getElementById("download-json").addEventListener("click", function () {
    // SELECT and ASK as SPARQL JSON results; CONSTRUCT and DESCRIBE as JSON-LD.
    download("application/sparql-results+json, application/ld+json;q=0.9", "results.json");
  });

  fillHistory();
  paint();
  if (form.dataset.autorun === "yes") run();
})();
