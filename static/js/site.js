/* Small screens: the filter panel starts folded so that the results come first (without JavaScript it
   stays open, and on wide screens its toggle is hidden). */
(function () {
  "use strict";
  var panel = document.querySelector(".filters-panel");
  if (panel && window.matchMedia("(max-width: 59.99rem)").matches) {
    panel.removeAttribute("open");
  }
})();

/* A facet's page of every value: a search box filters its values as you type (accents and case ignored). */
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll(".facet-values").forEach(function (more) {
    var box = more.querySelector(".facet__filter");
    if (!box) return;
    box.hidden = false;
    var items = Array.prototype.slice.call(more.querySelectorAll(".facet__all li"));
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      items.forEach(function (item) {
        item.hidden = wanted !== "" && fold(item.textContent).indexOf(wanted) < 0;
      });
    });
  });
})();
