/* Small screens: the filter panel starts folded so that the results come first (without JavaScript it
   stays open, and on wide screens its toggle is hidden). */
(function () {
  "use strict";
  var panel = document.querySelector(".filters-panel");
  if (panel && window.matchMedia("(max-width: 59.99rem)").matches) {
    panel.removeAttribute("open");
  }
})();
