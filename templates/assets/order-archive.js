// Puts Pagefind's search box in Material's header (Material's own search plugin is off).
// Pagefind fetches only the index chunks a query needs, and segments Chinese words.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined") return;
  var header = document.querySelector(".md-header__inner");
  if (!header || document.getElementById("oa-search")) return;
  var box = document.createElement("div");
  box.id = "oa-search";
  box.className = "oa-search";
  header.appendChild(box);
  new PagefindUI({
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
  });
  oaFilterOrder(box);
});

// Pagefind lists filters and their values in the index's order (by code point). Here they follow the
// site's order instead — status, service, client, year; statuses in the lifecycle's order, services in
// the regulation's, years newest first — through CSS `order`, without moving Pagefind's own elements.
// The order comes from the page (OA_FILTER_ORDER: [filter name, values] pairs, in the site's language).
function oaFilterOrder(box) {
  var wanted = {}, names = [];
  (window.OA_FILTER_ORDER || []).forEach(function (pair) { names.push(pair[0]); wanted[pair[0]] = pair[1]; });
  function arrange() {
    box.querySelectorAll(".pagefind-ui__filter-block").forEach(function (block) {
      var summary = block.querySelector(".pagefind-ui__filter-name");
      var name = summary ? summary.textContent.trim() : "";
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
  var link = document.createElement("a");
  link.className = "oa-csv";
  link.textContent = "CSV";
  link.href = "#";
  link.setAttribute("download", name + ".csv");
  link.setAttribute("title", document.documentElement.lang.indexOf("zh") === 0 ? "下載此表（CSV，可用 Excel 開啟）" : "Download this table (CSV, opens in Excel)");
  link.addEventListener("click", function (event) {
    link.href = URL.createObjectURL(new Blob([oaCsv(table)], { type: "text/csv;charset=utf-8" }));
    setTimeout(function () { URL.revokeObjectURL(link.href); link.href = "#"; }, 1000);
  });
  heading.insertAdjacentElement("afterend", link);
}

document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("table.oa-report, table.oa-orders"), oaDownload);
});
