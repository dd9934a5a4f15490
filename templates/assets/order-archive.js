// Puts Pagefind's search box in Material's header (Material's own search plugin is off).
// Pagefind fetches only the index chunks a query needs, and segments Chinese words. Its UI imports Pagefind
// from assets/search/ (pagefind-on-request.js): Pagefind itself, with the filters loaded when asked for.
var OA_SEARCH_MODULE = (function () {
  var script = document.currentScript;
  return script && script.src ? new URL("search/pagefind.js", script.src).href : null;
})();

document.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined") return;
  var header = document.querySelector(".md-header__inner");
  if (!header || document.getElementById("oa-search")) return;
  var box = document.createElement("div");
  box.id = "oa-search";
  box.className = "oa-search";
  header.appendChild(box);
  var options = {
    element: "#oa-search",
    showSubResults: true,
    excerptLength: 40,
    showImages: false,
    resetStyles: false,
    translations: document.documentElement.lang.indexOf("zh") === 0
      ? {
          placeholder: "搜尋訂單、客戶、發票…", clear_search: "清除", load_more: "載入更多結果", search_label: "搜尋本站",
          filters_label: "篩選", zero_results: "找不到「[SEARCH_TERM]」", many_results: "「[SEARCH_TERM]」共 [COUNT] 筆結果",
          one_result: "「[SEARCH_TERM]」共 [COUNT] 筆結果", searching: "搜尋「[SEARCH_TERM]」中…",
        }
      : { placeholder: "Search orders, clients, invoices…" },
    openFilters: window.OA_FILTER_ORDER ? [window.OA_FILTER_ORDER[0][0]] : [],
    debounceTimeoutMs: 0, // the box's words reach Pagefind only after a pause (oaSearchWhenPaused), so search at once
    processTerm: oaJoinRecordNumbers,
    processResult: oaShownResult,
  };
  if (OA_SEARCH_MODULE) options.bundlePath = OA_SEARCH_MODULE.replace(/[^/]*$/, "");
  var ui = new PagefindUI(options);
  oaSearchWhenPaused(box);
  oaFilterOrder(box);
  if (OA_SEARCH_MODULE) oaFiltersOnRequest(ui, box, OA_SEARCH_MODULE);
});

// A record number is one word in the index with its hyphens left out (ord20250003 for ORD-2025-0003), in the
// English edition's text and in each dossier's meta fields in both editions (the Chinese edition splits its text
// at hyphens). Pagefind's Chinese search splits a query the same way, so it looked up ord, 2025 and 0003: three
// chunks of words on most pages (788 KB a query at 50,000 orders) and any page holding the three apart. Joined
// here, the number is looked up as itself: one small chunk, and the pages that name it (ORD-2025 begun finds the
// numbers it begins). A number is letters, then hyphenated parts, one of them starting with a digit.
var OA_RECORD_NUMBER = /(^|[^0-9A-Za-z-])([A-Za-z]+(?:-[0-9A-Za-z]+)*-[0-9][0-9A-Za-z]*(?:-[0-9A-Za-z]+)*)(?![0-9A-Za-z-])/g;
function oaJoinRecordNumbers(term) {
  return term.replace(OA_RECORD_NUMBER, function (whole, before, number) { return before + number.replace(/-/g, ""); });
}

// A dossier found by a record number in its meta fields alone (the Chinese edition) has no place in its text to
// show, and Pagefind's UI would show it as a title with no excerpt and the field as a tag ("Numbers: CR-…"): its
// opening is its excerpt instead, and the field, a search word, is not shown.
function oaShownResult(data) {
  if (data.meta) delete data.meta.numbers;
  if (Array.isArray(data.sub_results) && data.sub_results.length === 0 && data.excerpt) {
    data.sub_results = [{ url: data.url, title: data.meta && data.meta.title, excerpt: data.excerpt, locations: [] }];
  }
  return data;
}

// Pagefind's UI loads the index chunks of whatever is in the box at every key, so a typed order number also
// loaded those of "O", "OR", "ORD-2", "ORD-20"… (650 KB against 441 KB pasted, at 10,000 orders), and a word
// being composed in 注音 was searched in its letters (ㄍㄨˇ). Here what the reader types reaches Pagefind only
// when they pause, press Enter or Escape, or finish composing: one query, one download. A composition is
// searched at a pause like typing (a phone's keyboard composes every Latin word) unless it holds 注音 letters.
var OA_TYPING_PAUSE_MS = 300;
var OA_ZHUYIN = /[\u02C7\u02CA\u02CB\u02D9\u3100-\u312F\u31A0-\u31BF]/;
function oaSearchWhenPaused(box) {
  var timer = null, passing = false;
  function isBox(node) { return node && node.classList && node.classList.contains("pagefind-ui__search-input"); }
  function pass(input) {
    clearTimeout(timer);
    timer = null;
    passing = true;
    try { input.dispatchEvent(new Event("input", { bubbles: true })); } finally { passing = false; }
  }
  function later(input) {
    clearTimeout(timer);
    timer = setTimeout(function () { pass(input); }, OA_TYPING_PAUSE_MS);
  }
  box.addEventListener("input", function (event) {
    if (passing || !isBox(event.target)) return;
    event.stopPropagation(); // held here, in the capture phase, before Pagefind's own listener hears it
    if (event.isComposing && OA_ZHUYIN.test(event.target.value)) clearTimeout(timer); // not words yet
    else later(event.target);
  }, true);
  box.addEventListener("compositionend", function (event) { if (isBox(event.target)) later(event.target); }, true);
  box.addEventListener("keydown", function (event) {
    if (timer && isBox(event.target) && !event.isComposing && (event.key === "Enter" || event.key === "Escape")) pass(event.target);
  }, true);
  box.addEventListener("click", function (event) { // the clear button: what was typed reaches Pagefind first, then is cleared
    var input = box.querySelector(".pagefind-ui__search-input");
    if (timer && input && event.target.closest && event.target.closest(".pagefind-ui__search-clear")) pass(input);
  }, true);
}

// The filters load when the reader asks (assets/search/pagefind.js): beside the first results, in the filter
// panel's place, a button asks for them; once they are in, the same search is asked again (the reader's ticks
// kept) and its answer counts every filter. Pagefind's UI shows the filter groups of each answer, and an answer
// counts only the filter files already loaded, so a reader who asked on an earlier page (their filters load as
// the box starts) gets the search asked again once every file is in, rather than a group missing.
function oaFiltersOnRequest(ui, box, module) {
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var words = zh
    ? { ask: "篩選結果", loading: "正在載入篩選…", failed: "篩選載入失敗，請再試一次" }
    : { ask: "Filter results", loading: "Loading filters…", failed: "The filters could not be loaded: try again" };
  var wanted = (window.OA_FILTER_ORDER || []).length, completed = 0, busy = false, holder = null, button = null;
  function ticked() {
    var chosen = {};
    box.querySelectorAll(".pagefind-ui__filter-block").forEach(function (block) {
      var name = oaFilterName(block);
      block.querySelectorAll("input.pagefind-ui__filter-checkbox:checked").forEach(function (input) {
        (chosen[name] = chosen[name] || []).push(input.value);
      });
    });
    return chosen;
  }
  function load(pagefind) {
    busy = true;
    if (button) { button.disabled = true; button.textContent = words.loading; }
    pagefind.showFilters().then(function () {
      busy = false;
      completed += 1;
      ui.triggerFilters(ticked());
    }, function () {
      busy = false;
      if (button) { button.disabled = false; button.textContent = words.failed; }
    });
  }
  function offer(drawer, pagefind) {
    if (!holder) {
      holder = document.createElement("div");
      holder.className = "oa-filter-request";
      button = document.createElement("button");
      button.type = "button";
      button.textContent = words.ask;
      button.addEventListener("click", function () { if (!busy) load(pagefind); });
      holder.appendChild(button);
    }
    if (holder.parentNode !== drawer) drawer.insertBefore(holder, drawer.firstChild);
  }
  function check() {
    var drawer = box.querySelector(".pagefind-ui__drawer");
    var groups = box.querySelectorAll(".pagefind-ui__filter-block").length;
    if (groups && holder && holder.parentNode) holder.parentNode.removeChild(holder);
    if (!drawer || busy || !box.querySelector(".pagefind-ui__result") || groups >= wanted) return;
    import(module).then(function (pagefind) { // Pagefind's UI imported it already: nothing is downloaded
      if (busy || box.querySelectorAll(".pagefind-ui__filter-block").length >= wanted) return;
      if (!pagefind.filtersShown()) offer(drawer, pagefind);
      else if (completed < 2) load(pagefind); // asked on an earlier page: ask again once every file is in
    });
  }
  var timer = null;
  new MutationObserver(function () {
    if (!timer) timer = setTimeout(function () { timer = null; check(); }, 50);
  }).observe(box, { childList: true, subtree: true });
}

// The name of one of Pagefind's filter groups, as the page's OA_FILTER_ORDER and triggerFilters spell it.
function oaFilterName(block) {
  var summary = block.querySelector(".pagefind-ui__filter-name");
  return summary ? summary.textContent.trim() : "";
}

// Pagefind lists filters and their values in the index's order (by code point). Here they follow the
// site's order instead — status, service, client, year; statuses in the lifecycle's order, services in
// the regulation's, years newest first — through CSS `order`, without moving Pagefind's own elements.
// The order comes from the page (OA_FILTER_ORDER: [filter name, values] pairs, in the site's language).
function oaFilterOrder(box) {
  var wanted = {}, names = [];
  (window.OA_FILTER_ORDER || []).forEach(function (pair) { names.push(pair[0]); wanted[pair[0]] = pair[1]; });
  function arrange() {
    box.querySelectorAll(".pagefind-ui__filter-block").forEach(function (block) {
      var name = oaFilterName(block);
      var rank = names.indexOf(name);
      block.style.order = rank < 0 ? names.length : rank;
      var values = wanted[name];
      block.querySelectorAll(".pagefind-ui__filter-value").forEach(function (item) {
        var input = item.querySelector("input");
        var value = input ? input.value : "";
        if (Array.isArray(values)) item.style.order = values.indexOf(value) < 0 ? values.length : values.indexOf(value);
        else if (values === "newest") item.style.order = -parseInt(value, 10) || 0;
      });
    });
  }
  new MutationObserver(arrange).observe(box, { childList: true, subtree: true });
  box.addEventListener("change", function (event) {
    if (!event.target.classList.contains("pagefind-ui__filter-checkbox")) return;
    var drawer = box.querySelector(".pagefind-ui__drawer");
    if (drawer) drawer.scrollTop = 0;
  });
}

// Order lists: a click on a column's name sorts by it (again: the other way); the filter bar above the
// list narrows it by status, service, client, year or month, and keeps the choice in the address
// (#status-delivered&year-2026), so a filtered list can be linked to and survives a reload.
function oaSortKey(cell) {
  var ranked = cell.querySelector("[data-rank]");
  if (ranked) return [0, Number(ranked.getAttribute("data-rank"))];
  var text = cell.textContent.trim();
  var amount = /^(?:[A-Z]{3} )?(-?[\d,]+(?:\.\d+)?)$/.exec(text);
  if (amount) return [0, Number(amount[1].replace(/,/g, ""))];
  return [1, text];
}

function oaSortable(table) {
  var lang = document.documentElement.lang || "en";
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "oa-sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.map.call(body.rows, function (row, i) { return [oaSortKey(row.cells[column]), i, row]; });
      rows.sort(function (a, b) {
        var x = a[0], y = b[0], order = x[0] - y[0];
        if (!order) order = x[0] ? x[1].localeCompare(y[1], lang) : x[1] - y[1];
        return (ascending ? order : -order) || a[1] - b[1];
      });
      rows.forEach(function (item) { body.appendChild(item[2]); });
    });
  });
}

function oaFilters(bar) {
  var table = document.getElementById(bar.getAttribute("data-table"));
  if (!table) return;
  var selects = bar.querySelectorAll("select");
  var output = bar.querySelector("output");
  function apply() {
    var wanted = {}, shown = 0, rows = table.tBodies[0].rows, parts = [];
    Array.prototype.forEach.call(selects, function (s) {
      if (s.value) { wanted[s.getAttribute("data-key")] = s.value; parts.push(s.getAttribute("data-key") + "-" + s.value); }
    });
    Array.prototype.forEach.call(rows, function (row) {
      var keep = Object.keys(wanted).every(function (key) { return row.getAttribute("data-" + key) === wanted[key]; });
      row.hidden = !keep;
      if (keep) shown += 1;
    });
    output.textContent = bar.getAttribute("data-shown").replace("{n}", shown).replace("{total}", rows.length);
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }
  function fromAddress() {
    var chosen = {};
    decodeURIComponent(location.hash.slice(1)).split("&").forEach(function (part) {
      var cut = part.indexOf("-");
      if (cut > 0) chosen[part.slice(0, cut)] = part.slice(cut + 1);
    });
    Array.prototype.forEach.call(selects, function (s) {
      var value = chosen[s.getAttribute("data-key")] || "";
      s.value = Array.prototype.some.call(s.options, function (o) { return o.value === value; }) ? value : "";
    });
    apply();
  }
  Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", apply); });
  window.addEventListener("hashchange", fromAddress);
  bar.hidden = false;
  fromAddress();
}

document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("table.oa-sortable"), oaSortable);
  Array.prototype.forEach.call(document.querySelectorAll(".oa-filters"), oaFilters);
});

// A printed dossier shows every change of its timeline: folded lists open for printing, and close again.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.oa-more:not([open])").forEach(function (d) { d.setAttribute("open", ""); d.setAttribute("data-printed", ""); });
});
window.addEventListener("afterprint", function () {
  document.querySelectorAll("details[data-printed]").forEach(function (d) { d.removeAttribute("open"); d.removeAttribute("data-printed"); });
});

// Every report and order list can be taken away as CSV: the table as the page shows it (the rows the
// filters leave, the column names in the page's language), UTF-8 with a byte-order mark so Excel reads
// Chinese. Made in the browser from the table itself, so the file and the page cannot disagree.
function oaCsv(table) {
  var rows = [table.tHead.rows[0]].concat(Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !r.hidden; }));
  return "\ufeff" + rows.map(function (row) {
    return Array.prototype.map.call(row.cells, function (c) {
      var text = c.innerText.replace(/\s+/g, " ").trim().replace(/ [▲▼]$/, "");
      return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }).join(",");
  }).join("\r\n") + "\r\n";
}

function oaDownload(table) {
  var heading = table.closest(".oa-table");
  var title = document.querySelector("article h1");
  for (var node = heading; node && !/^H[23]$/.test(node.tagName); node = node.previousElementSibling) {}
  var name = [title && title.textContent, node && node.textContent].filter(Boolean).join(" - ").replace(/[\\/:*?"<>|]+/g, " ").trim() || "table";
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var bar = document.createElement("p");
  bar.className = "oa-downloads";
  [["CSV", ".csv", zh ? "下載此表（CSV，可用 Excel 開啟）" : "Download this table (CSV, opens in Excel)", function () {
    return new Blob([oaCsv(table)], { type: "text/csv;charset=utf-8" });
  }], ["Excel", ".xlsx", zh ? "下載此表（Excel 活頁簿）" : "Download this table (Excel workbook)", function () { return oaXlsx(table); }]].forEach(function (kind) {
    var link = document.createElement("a");
    link.className = "oa-" + kind[1].slice(1);
    link.textContent = kind[0];
    link.href = "#";
    link.setAttribute("download", name + kind[1]);
    link.setAttribute("title", kind[2]);
    link.addEventListener("click", function () {
      link.href = URL.createObjectURL(kind[3]());
      setTimeout(function () { URL.revokeObjectURL(link.href); link.href = "#"; }, 1000);
    });
    bar.appendChild(link);
    bar.appendChild(document.createTextNode(" "));
  });
  heading.insertAdjacentElement("afterend", bar);
}

document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("table.oa-report, table.oa-orders"), oaDownload);
});

// The same table as an Excel workbook (.xlsx): a few XML files in a zip, written here (stored, not
// compressed) so nothing has to be downloaded or vendored. Numbers the page shows with grouped digits
// or as a percentage become numbers in the sheet; everything else stays text, as shown.
var OA_CRC = (function () {
  var table = [];
  for (var n = 0; n < 256; n++) {
    var c = n;
    for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table.push(c >>> 0);
  }
  return table;
})();

function oaCrc32(bytes) {
  var crc = 0xffffffff;
  for (var i = 0; i < bytes.length; i++) crc = OA_CRC[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function oaZip(files) {
  var encoder = new TextEncoder(), parts = [], central = [], offset = 0;
  function u16(v) { return [v & 0xff, (v >>> 8) & 0xff]; }
  function u32(v) { return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]; }
  files.forEach(function (file) {
    var name = encoder.encode(file[0]), data = encoder.encode(file[1]), crc = oaCrc32(data);
    var common = [].concat(u16(20), u16(0x0800), u16(0), u16(0), u16(0x21), u32(crc), u32(data.length), u32(data.length), u16(name.length), u16(0));
    var local = new Uint8Array([].concat(u32(0x04034b50), common));
    parts.push(local, name, data);
    central.push(new Uint8Array([].concat(u32(0x02014b50), u16(20), common, u16(0), u16(0), u16(0), u32(0), u32(offset))), name);
    offset += local.length + name.length + data.length;
  });
  var size = central.reduce(function (s, p) { return s + p.length; }, 0);
  var end = new Uint8Array([].concat(u32(0x06054b50), u16(0), u16(0), u16(files.length), u16(files.length), u32(size), u32(offset), u16(0)));
  return new Blob(parts.concat(central, [end]), { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
}

function oaXml(text) {
  return text.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; })
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

function oaXlsx(table) {
  var rows = [table.tHead.rows[0]].concat(Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !r.hidden; }));
  var sheet = rows.map(function (row, r) {
    var cells = Array.prototype.map.call(row.cells, function (c) {
      var text = c.innerText.replace(/\s+/g, " ").trim().replace(/ [▲▼]$/, "");
      var number = r > 0 && /^-?[\d,]+(\.\d+)?%?$/.test(text) ? parseFloat(text.replace(/,/g, "")) / (text.slice(-1) === "%" ? 100 : 1) : null;
      return number !== null && isFinite(number) ? '<c t="n"><v>' + number + "</v></c>" : '<c t="inlineStr"><is><t>' + oaXml(text) + "</t></is></c>";
    }).join("");
    return '<row r="' + (r + 1) + '">' + cells + "</row>";
  }).join("");
  var main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  var rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  return oaZip([
    ["[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'],
    ["_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="' + rel + '/officeDocument" Target="xl/workbook.xml"/></Relationships>'],
    ["xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="' + main + '" xmlns:r="' + rel + '"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'],
    ["xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="' + rel + '/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'],
    ["xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="' + main + '"><sheetData>' + sheet + "</sheetData></worksheet>"],
  ]);
}
