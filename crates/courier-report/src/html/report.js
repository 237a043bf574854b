// Filters of the Courier HTML report: by outcome (one at a time) and by tag (any selected).
// Every filterable element carries data-outcome and data-tags (space-separated); the report is
// readable without this script, which only hides and shows.
"use strict";
(function () {
  document.documentElement.dataset.js = "on";
  var outcome = "all";
  var tags = new Set();
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-outcome]"));
  var shown = document.querySelector(".filters .shown");

  function matchesOutcome(el) {
    if (outcome === "all") return true;
    var o = el.dataset.outcome;
    return outcome === "failed" ? o === "failed" || o === "error" : o === outcome;
  }

  function matchesTags(el) {
    if (tags.size === 0) return true;
    var own = (el.dataset.tags || "").split(" ");
    return own.some(function (t) { return tags.has(t); });
  }

  function apply() {
    var visible = 0;
    var total = 0;
    items.forEach(function (el) {
      var show = matchesOutcome(el) && matchesTags(el);
      el.classList.toggle("hidden", !show);
      if (el.classList.contains("request")) {
        total += 1;
        if (show) visible += 1;
      }
    });
    // A group (a collection's table, its timeline) with nothing left to show is hidden too.
    document.querySelectorAll("[data-group]").forEach(function (g) {
      var any = g.querySelector("[data-outcome]:not(.hidden)");
      g.classList.toggle("hidden", !any);
    });
    if (shown) shown.textContent = "showing " + visible + " of " + total;
  }

  document.querySelectorAll("[data-filter-outcome]").forEach(function (b) {
    b.addEventListener("click", function () {
      outcome = b.dataset.filterOutcome;
      document.querySelectorAll("[data-filter-outcome]").forEach(function (o) {
        o.setAttribute("aria-pressed", String(o === b));
      });
      apply();
    });
  });
  document.querySelectorAll("[data-filter-tag]").forEach(function (b) {
    b.addEventListener("click", function () {
      var t = b.dataset.filterTag;
      if (tags.has(t)) tags.delete(t); else tags.add(t);
      b.setAttribute("aria-pressed", String(tags.has(t)));
      apply();
    });
  });
  apply();
})();
