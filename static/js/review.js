/* Review comments (plans/comments.py): a "Comment" button beside each field and inline row of the plan's
   change form, and beside each row of a revision's comparison, that chooses it in the comment form; the
   number of open conversations on it. Without JavaScript the form's own "Comment on" list does the same. */
(function () {
  "use strict";
  var form = document.getElementById("new-comment");
  if (!form) return;
  var select = document.getElementById("comment-anchor");
  var body = document.getElementById("comment-body");
  var known = {};
  Array.prototype.forEach.call(select.options, function (o) { known[o.value] = o.text; });
  var open = {};
  document.querySelectorAll(".comment-thread:not(.resolved)").forEach(function (t) {
    var a = t.getAttribute("data-anchor");
    open[a] = (open[a] || 0) + 1;
  });
  var label = form.getAttribute("data-button-label") || "Comment";

  function addButton(place, anchor) {
    if (!(anchor in known) || place.querySelector(":scope > .comment-here")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "comment-here";
    button.setAttribute("data-anchor", anchor);
    button.textContent = label + (open[anchor] ? " (" + open[anchor] + ")" : "");
    button.title = known[anchor];
    button.addEventListener("click", function () {
      select.value = anchor;
      form.scrollIntoView({ block: "center" });
      body.focus();
    });
    place.appendChild(button);
  }

  document.querySelectorAll("[data-comment-anchor]").forEach(function (el) {
    var cell = el.querySelector("th") || el;
    addButton(cell, el.getAttribute("data-comment-anchor"));
  });
  document.querySelectorAll(".form-row[class*='field-'], .fieldBox[class*='field-']").forEach(function (row) {
    if (row.closest(".inline-related")) return;
    row.className.split(/\s+/).forEach(function (c) {
      if (c.indexOf("field-") === 0) addButton(row, "field:" + c.slice(6));
    });
  });
  document.querySelectorAll(".inline-related input[name$='-row_key']").forEach(function (input) {
    if (!input.value) return;
    var prefix = input.name.replace(/-\d+-row_key$/, "");
    var heading = input.closest(".inline-related").querySelector("h3") || input.closest(".inline-related");
    addButton(heading, "row:" + prefix + ":" + input.value);
  });
})();
