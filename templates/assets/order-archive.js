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
    showImages: false,
    resetStyles: false,
    translations: document.documentElement.lang.indexOf("zh") === 0
      ? {
          placeholder: "搜尋訂單、客戶、發票…", clear_search: "清除", load_more: "載入更多結果", search_label: "搜尋本站",
          filters_label: "篩選", zero_results: "找不到「[SEARCH_TERM]」", many_results: "「[SEARCH_TERM]」共 [COUNT] 筆結果",
          one_result: "「[SEARCH_TERM]」共 [COUNT] 筆結果", searching: "搜尋「[SEARCH_TERM]」中…",
        }
      : { placeholder: "Search orders, clients, invoices…" },
  });
});
