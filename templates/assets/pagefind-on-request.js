// Pagefind's own module, published as assets/search/pagefind.js for Pagefind's UI to import (its bundlePath), with
// one difference: the filters load when the reader asks for them, not when the search box starts. Pagefind's UI
// asks for every filter file at its start to show their counts, and those files list every page: 86 KB of the
// 339 KB one query downloaded at 10,000 orders, and five times that at 50,000. A reader who asked once is
// remembered (localStorage), so their later searches show the filters at once.
import { filters as everyFilter } from "../../pagefind/pagefind.js";

export * from "../../pagefind/pagefind.js";

const REMEMBERED = "order-archive.search-filters";
let asked = remembered();

function remembered() {
  try {
    return window.localStorage.getItem(REMEMBERED) === "shown";
  } catch (error) {
    return false; // storage refused (a private window, a policy): the reader asks again
  }
}

// What Pagefind's UI calls at its start: nothing until the reader has asked for filters.
export async function filters() {
  return asked ? everyFilter() : {};
}

// Every filter file, loaded; the next search's answer counts them all. Called by the site's "Filter results" button.
export async function showFilters() {
  asked = true;
  try {
    window.localStorage.setItem(REMEMBERED, "shown");
  } catch (error) {
    // not remembered; shown all the same
  }
  return everyFilter();
}

export function filtersShown() {
  return asked;
}
