/* The plan form of the admin (templates/admin/plans/plan/change_form.html): child rows reordered by
   dragging or with move buttons, the time split's running total, the first error brought into view, a
   warning before leaving unsaved changes, a copy of the typing kept in this browser and offered back, the
   lab's defaults and a map to pick the plan's point. Every text shown comes translated from the page
   (#plan-form-settings). Without this script the form works as Django's admin form. */
(function () {
  "use strict";

  var settings = document.getElementById("plan-form-settings");
  var STORE = "acclab-plan-form:";

  // -------------------------------------------------------------- after a successful save
  // A save that went through shows Django's success message: the copies kept for forms just posted are
  // no longer needed (this also runs on the plan list, where "Save" leads).
  function forgetPostedCopies() {
    if (!document.querySelector(".messagelist .success")) return;
    try {
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(STORE) !== 0) return;
        var saved = JSON.parse(localStorage.getItem(key) || "{}");
        if (saved.posted) localStorage.removeItem(key);
      });
    } catch (e) { /* storage unavailable: nothing kept */ }
  }
  forgetPostedCopies();

  // Signing out leaves no copy of anybody's typing in a shared browser.
  var logout = document.getElementById("logout-form");
  if (logout) {
    logout.addEventListener("submit", function () {
      try {
        Object.keys(localStorage).forEach(function (key) {
          if (key.indexOf(STORE) === 0) localStorage.removeItem(key);
        });
      } catch (e) { /* nothing kept */ }
    });
  }

  var form = document.getElementById("plan_form");
  if (!form || !settings) return;
  var text = settings.dataset;

  function announce(message) {
    var live = document.getElementById("plan-form-live");
    if (live) live.textContent = message;
  }

  // -------------------------------------------------------------- reordering child rows
  function rowsOf(group) {
    return Array.prototype.filter.call(group.querySelectorAll(".inline-related"), function (row) {
      return !row.classList.contains("empty-form");
    });
  }

  function isExisting(row) {
    var id = row.querySelector("input[name$='-id']");
    return Boolean(id && id.value);
  }

  // Whether the author changed anything in a row (a row left as it came is ignored by the formset).
  function hasInput(row) {
    return Array.prototype.some.call(row.querySelectorAll("input, textarea, select"), function (el) {
      if (el.type === "hidden" || el.type === "button" || el.name.slice(-7) === "-DELETE") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return el.value.trim() !== el.defaultValue.trim();
    });
  }

  // Positions follow the order shown, once the author has reordered a list.
  function numberRows(group) {
    if (!group.dataset.reordered) return;
    var n = 0;
    rowsOf(group).forEach(function (row) {
      var position = row.querySelector("input[name$='-position']");
      if (position && (isExisting(row) || hasInput(row))) position.value = String(++n);
    });
  }

  // Django's formset wants the saved rows first (indexes below INITIAL_FORMS) and renumbers rows in page
  // order when one is removed; after a reorder that order can put a new row first. Give the saved rows
  // the first indexes again, keeping each row's fields together.
  function reindex(group) {
    var prefix = group.id.replace(/-group$/, "");
    var rows = rowsOf(group);
    var ordered = rows.filter(isExisting).concat(rows.filter(function (r) { return !isExisting(r); }));
    var pattern = new RegExp("^(id_)?" + prefix + "-(\\d+|__tmp\\d+)-");
    function rename(row, index) {
      row.id = prefix + "-" + index.replace("__tmp", "");
      row.querySelectorAll("[id], [name], [for]").forEach(function (el) {
        ["id", "name", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && pattern.test(value)) {
            el.setAttribute(attr, value.replace(pattern, function (m, id) { return (id || "") + prefix + "-" + index + "-"; }));
          }
        });
      });
    }
    ordered.forEach(function (row, i) { rename(row, "__tmp" + i); });
    ordered.forEach(function (row, i) { rename(row, String(i)); });
  }

  // New rows are labelled by their place ("#2"): the labels follow the rows' order.
  function relabel(group) {
    rowsOf(group).forEach(function (row, i) {
      var label = row.querySelector(".inline_label");
      if (label && /^#\d+$/.test(label.textContent.trim())) label.textContent = "#" + (i + 1);
    });
  }

  function moved(group, row, button) {
    group.dataset.reordered = "1";
    relabel(group);
    markDirty();
    var rows = rowsOf(group);
    announce(text.movedTo.replace("__POS__", rows.indexOf(row) + 1).replace("__COUNT__", rows.length));
    if (button) button.focus();
  }

  function addMoveButtons(group, row) {
    var heading = row.querySelector(".row-heading");
    if (!heading || heading.querySelector(".move-buttons")) return;
    var box = document.createElement("span");
    box.className = "move-buttons";
    [["up", text.moveUp, "↑"], ["down", text.moveDown, "↓"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "move-" + spec[0];
      button.setAttribute("aria-label", spec[1] + ": " + heading.querySelector("b").textContent + " " +
                          heading.querySelector(".inline_label").textContent.trim());
      button.title = spec[1];
      button.textContent = spec[2];
      button.addEventListener("click", function () {
        var rows = rowsOf(group);
        var i = rows.indexOf(row);
        if (spec[0] === "up" && i > 0) {
          rows[i - 1].before(row);
        } else if (spec[0] === "down" && i < rows.length - 1) {
          rows[i + 1].after(row);
        } else {
          return;
        }
        moved(group, row, button);
      });
      box.appendChild(button);
    });
    heading.appendChild(box);
    // Dragging starts on the handle only, so that text in the row can still be selected.
    var handle = heading.querySelector(".drag-handle");
    handle.addEventListener("mousedown", function () { row.draggable = true; });
    row.addEventListener("dragstart", function (event) {
      group.dragging = row;
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.id);
    });
    row.addEventListener("dragend", function () {
      row.draggable = false;
      row.classList.remove("dragging");
      if (group.dragging === row) moved(group, row);
      group.dragging = null;
    });
    row.addEventListener("dragover", function (event) {
      var dragged = group.dragging;
      if (!dragged || dragged === row) return;
      event.preventDefault();
      var box = row.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) row.before(dragged); else row.after(dragged);
    });
  }

  document.querySelectorAll(".plan-child-list[data-reorderable]").forEach(function (group) {
    rowsOf(group).forEach(function (row) { addMoveButtons(group, row); });
  });
  var autoAdding = false;
  document.addEventListener("formset:added", function (event) {
    var row = event.target;
    var group = row.closest && row.closest(".plan-child-list[data-reorderable]");
    if (group) addMoveButtons(group, row);
    if (autoAdding) return;  // the author is still typing in the row above
    var first = row.querySelector("textarea, input:not([type=hidden]), select");
    if (first) first.focus();
  });
  // An empty row always waits at the end of a list: typing in the last row adds the next one.
  form.addEventListener("input", function (event) {
    var row = event.target.closest && event.target.closest(".plan-child-list .inline-related");
    if (!row || row.classList.contains("empty-form") || !row.closest("[data-auto-row]")) return;
    var group = row.closest(".plan-child-list");
    var rows = rowsOf(group);
    var add = group.querySelector(".add-row a");
    if (rows[rows.length - 1] !== row || isExisting(row) || !add || !hasInput(row)) return;
    if (add.closest(".add-row").style.display === "none") return;  // at the list's maximum
    autoAdding = true;
    add.click();
    autoAdding = false;
  });

  // -------------------------------------------------------------- the time split's running total
  var split = document.querySelector("fieldset.time-split");
  if (split) {
    var inputs = split.querySelectorAll("input[name^='time_']");
    var total = document.createElement("output");
    total.className = "time-total";
    total.id = "time-total";
    total.setAttribute("aria-live", "polite");
    split.appendChild(total);
    var update = function () {
      var sum = 0, filled = 0;
      inputs.forEach(function (input) {
        if (input.value.trim() !== "") { filled += 1; sum += parseInt(input.value, 10) || 0; }
      });
      total.textContent = text.total.replace("__TOTAL__", sum);
      total.classList.toggle("off", filled > 0 && sum !== 100);
      total.classList.toggle("done", filled === inputs.length && sum === 100);
    };
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    update();
  }

  // -------------------------------------------------------------- never lose typing
  var key = settings.dataset.autosaveKey;
  var dirty = false, leaving = false, timer = null;

  function values() {
    var data = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken" && name !== "opened_version") {
        data.push([name, value]);
      }
    });
    return data;
  }

  function keep(posted) {
    try {
      localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), posted: posted, values: values() }));
    } catch (e) { /* full or unavailable: the warning before leaving still protects */ }
  }

  function markDirty() {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(function () { keep(false); }, 800);
  }

  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  form.addEventListener("submit", function () {
    document.querySelectorAll(".plan-child-list").forEach(function (group) {
      reindex(group);
      numberRows(group);
    });
    clearTimeout(timer);
    keep(true);  // kept until the page after the save says it went through
    leaving = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function restore(saved) {
    var byName = {};
    saved.values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    // Rows added before: add as many again (Django's own "add another" link), then fill everything.
    document.querySelectorAll(".plan-child-list").forEach(function (group) {
      var prefix = group.id.replace(/-group$/, "");
      var totalForms = form.querySelector("[name='" + prefix + "-TOTAL_FORMS']");
      var wanted = parseInt((byName[prefix + "-TOTAL_FORMS"] || ["0"])[0], 10);
      var add = group.querySelector(".add-row a");
      var guard = 50;
      while (totalForms && add && parseInt(totalForms.value, 10) < wanted && guard--) add.click();
    });
    Object.keys(byName).forEach(function (name) {
      if (/-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/.test(name)) return;
      form.querySelectorAll("[name='" + name.replace(/'/g, "\\'") + "']").forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = byName[name].indexOf(el.value) !== -1;
        } else if (el.tagName === "SELECT" && el.multiple) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = byName[name].indexOf(o.value) !== -1; });
        } else if (el.type !== "file" && el.type !== "hidden") {
          el.value = byName[name][0];
        }
      });
    });
    // Checkboxes absent from the copy were unticked.
    form.querySelectorAll("input[type=checkbox]").forEach(function (el) {
      if (!byName[el.name]) el.checked = false;
    });
    form.querySelectorAll("input[name^='time_']").forEach(function (el) { el.dispatchEvent(new Event("input")); });
    dirty = true;
  }

  function offer(saved) {
    var box = document.createElement("div");
    box.className = "autosave-offer";
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", text.keptLabel);
    var p = document.createElement("p");
    p.textContent = text.kept.replace("__WHEN__", new Date(saved.at).toLocaleString());
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button default";
    yes.id = "autosave-restore";
    yes.textContent = text.restore;
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button";
    no.id = "autosave-discard";
    no.textContent = text.discard;
    yes.addEventListener("click", function () { restore(saved); box.remove(); keep(false); });
    no.addEventListener("click", function () {
      try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      box.remove();
    });
    box.append(p, yes, " ", no);
    form.prepend(box);
  }

  try {
    var saved = JSON.parse(localStorage.getItem(key) || "null");
    var refused = document.querySelector(".errornote");
    if (saved && refused) {
      keep(false);  // the page shows what was posted; keep copying it
    } else if (saved && JSON.stringify(saved.values) !== JSON.stringify(values())) {
      offer(saved);
    }
  } catch (e) { /* storage unavailable */ }

  // -------------------------------------------------------------- the lab's defaults and the map
  var lab = document.getElementById("id_lab");
  var defaults = JSON.parse((document.getElementById("lab-defaults") || {}).textContent || "{}");
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  var country = document.getElementById("id_country");
  var picker = null;

  if (lab && lab.tagName === "SELECT") {
    var previous = defaults[lab.value] || {};
    lab.addEventListener("change", function () {
      var next = defaults[lab.value] || {};
      // A value the author typed is kept; one that came from the previous lab follows the new lab.
      [[country, "country"], [lat, "latitude"], [lng, "longitude"]].forEach(function (pair) {
        var el = pair[0], name = pair[1];
        if (!el) return;
        var before = previous[name] == null ? "" : String(previous[name]);
        if (el.value === "" || el.value === before) el.value = next[name] == null ? "" : String(next[name]);
      });
      previous = next;
      if (picker) picker.sync();
    });
  }

  if (lat && lng && window.L) {
    var where = lng.closest(".form-row");
    var box = document.createElement("div");
    box.className = "location-picker";
    box.id = "location-picker";
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", text.mapLabel);
    var hint = document.createElement("p");
    hint.className = "help";
    hint.textContent = text.mapHelp;
    where.after(hint, box);
    var map = L.map(box, { worldCopyJump: true, minZoom: 1, maxZoom: 12 });
    map.attributionControl.setPrefix(false);
    if (settings.dataset.tiles) {
      L.tileLayer(settings.dataset.tiles, { attribution: settings.dataset.attribution || "" }).addTo(map);
    } else if (window.topojson) {
      fetch(settings.dataset.world).then(function (r) { return r.json(); }).then(function (topo) {
        L.geoJSON(topojson.feature(topo, topo.objects.countries), {
          interactive: false,
          style: { color: "#8a96a3", weight: 0.6, fillColor: "#e5eaef", fillOpacity: 1 }
        }).addTo(map);
      });
    }
    var icon = L.divIcon({ className: "pin", html: "<span></span>", iconSize: [18, 18], iconAnchor: [9, 9] });
    var marker = null;
    var point = function () {
      var a = parseFloat(lat.value), b = parseFloat(lng.value);
      return isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180 ? [a, b] : null;
    };
    var place = function (at, zoom) {
      if (!at) { if (marker) { marker.remove(); marker = null; } return; }
      if (!marker) {
        marker = L.marker(at, { icon: icon, draggable: true, keyboard: false }).addTo(map);
        marker.on("dragend", function () { set(marker.getLatLng()); });
      } else {
        marker.setLatLng(at);
      }
      if (zoom) map.setView(at, Math.max(map.getZoom() || 0, 4));
    };
    var set = function (at) {
      var wrapped = L.latLng(at.lat, at.lng).wrap();
      lat.value = wrapped.lat.toFixed(5);
      lng.value = wrapped.lng.toFixed(5);
      place([wrapped.lat, wrapped.lng], false);
      markDirty();
    };
    map.on("click", function (event) { set(event.latlng); });
    var start = point();
    map.setView(start || [15, 10], start ? 4 : 1);
    place(start, false);
    [lat, lng].forEach(function (el) { el.addEventListener("change", function () { place(point(), true); }); });
    picker = { sync: function () { place(point(), true); } };
  }

  // -------------------------------------------------------------- the first error in view
  // Once the page is laid out (Django's inline script adds its links when the document is ready).
  window.addEventListener("load", function () {
    var firstError = document.querySelector("#plan_form .errorlist, #plan_form .errors");
    if (!firstError) return;
    var closed = firstError.closest("details");
    if (closed) closed.open = true;
    var row = firstError.closest(".form-row, .inline-related, fieldset") || firstError;
    row.scrollIntoView({ block: "center" });
    var field = row.querySelector("input:not([type=hidden]), textarea, select");
    if (field) field.focus({ preventScroll: true });
  });
})();
