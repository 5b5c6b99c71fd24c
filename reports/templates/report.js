(function () {
  "use strict";
  // Printing (or saving as PDF) shows every finding: open the collapsed groups first.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) {
      d.open = true;
    });
  });
  var form = document.getElementById("filters");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.rule-group"));
  var counter = document.getElementById("shown-count");
  var template = counter ? counter.getAttribute("data-template") : "";
  var reqBox = document.getElementById("requirement-filter");
  var reqOnly = null;
  function apply() {
    var wanted = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=severity]"), function (box) {
      wanted[box.value] = box.checked;
    });
    var showSuppressed = form.querySelector("input[name=suppressed]").checked;
    var query = form.querySelector("input[name=q]").value.trim().toLowerCase();
    var framework = form.querySelector("select[name=framework]").value;
    var rule = form.querySelector("select[name=rule]").value;
    var shown = 0;
    rows.forEach(function (row) {
      var visible = (reqOnly === null || reqOnly[row.getAttribute("data-fingerprint")] === true) &&
        wanted[row.getAttribute("data-severity")] !== false &&
        (showSuppressed || row.getAttribute("data-suppressed") !== "true") &&
        (!query || row.getAttribute("data-search").indexOf(query) !== -1) &&
        (!framework || (" " + row.getAttribute("data-frameworks") + " ")
          .indexOf(" " + framework + " ") !== -1) &&
        (!rule || row.closest("details.rule-group").getAttribute("data-rule") === rule);
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = group.querySelector("tr.finding:not([hidden])") === null;
    });
    if (counter) {
      counter.textContent = template.replace("{shown}", String(shown))
        .replace("{total}", String(rows.length));
    }
  }
  function showRequirement(link) {
    reqOnly = {};
    link.getAttribute("data-findings").split(" ").forEach(function (fp) {
      if (fp) { reqOnly[fp] = true; }
    });
    reqBox.querySelector(".label").textContent = reqBox.getAttribute("data-template")
      .replace("{requirement}", link.getAttribute("data-requirement"));
    reqBox.hidden = false;
    apply();
    groups.forEach(function (group) { if (!group.hidden) { group.open = true; } });
  }
  Array.prototype.forEach.call(document.querySelectorAll("a.req-link"), function (link) {
    link.addEventListener("click", function () { showRequirement(link); });
  });
  document.getElementById("requirement-clear").addEventListener("click", function () {
    reqOnly = null;
    reqBox.hidden = true;
    apply();
  });
  var container = groups.length ? groups[0].parentNode : null;
  function sortGroups() {
    var by = form.querySelector("select[name=sort]").value;
    var keyed = groups.slice().sort(function (a, b) {
      var ra = Number(a.getAttribute("data-severity-rank"));
      var rb = Number(b.getAttribute("data-severity-rank"));
      if (by === "rule") {
        return a.getAttribute("data-rule") < b.getAttribute("data-rule") ? -1 : 1;
      }
      if (by === "count") {
        var diff = Number(b.getAttribute("data-count")) - Number(a.getAttribute("data-count"));
        return diff !== 0 ? diff : ra - rb;
      }
      if (by === "location") {
        var la = a.getAttribute("data-location");
        var lb = b.getAttribute("data-location");
        return la === lb ? ra - rb : (la < lb ? -1 : 1);
      }
      return ra - rb;
    });
    keyed.forEach(function (group) { container.appendChild(group); });
  }
  form.querySelector("select[name=sort]").addEventListener("change", sortGroups);
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
}());
