/* Tag suggestions in the admin (plans/admin/tags.py): under each comma-separated tag input, the existing
   tags matching what is being typed (the text after the last comma), most used first, found by their name,
   French or Spanish label or an earlier name; what would be a new tag is shown as new (or, in a closed
   vocabulary such as methods, as not in the list). Several tags are entered one after the other. Without
   JavaScript the input works as before. The texts come translated from the widget's data attributes. */
(function () {
  "use strict";
  var counter = 0;

  function setUp(input) {
    var url = input.getAttribute("data-suggest-url");
    var texts = {
      plan: input.getAttribute("data-text-plan") || "1 plan",
      plans: input.getAttribute("data-text-plans") || "{n} plans",
      also: input.getAttribute("data-text-also") || "also: {name}",
      created: input.getAttribute("data-text-new") || "“{typed}” will be a new tag",
      closed: input.getAttribute("data-text-closed") || "“{typed}” is not in the list",
      existing: input.getAttribute("data-text-existing") || "“{typed}” is the existing tag “{tag}”",
    };
    var id = "tag-suggest-" + ++counter;
    var box = document.createElement("div");
    box.className = "tag-suggest__box";
    var list = document.createElement("ul");
    list.id = id;
    list.className = "tag-suggest__list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "tag-suggest__status";
    status.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-expanded", "false");

    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function segment() {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      return value.slice(cut + 1).trim();
    }

    function choose(name) {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      var before = cut >= 0 ? value.slice(0, cut + 1) + " " : "";
      var quoted = name.indexOf(",") >= 0 ? '"' + name.replace(/"/g, "") + '"' : name;
      input.value = before + quoted + ", ";
      close();
      status.textContent = "";
      input.focus();
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(n) {
      items.forEach(function (item, i) {
        item.el.classList.toggle("is-active", i === n);
        item.el.setAttribute("aria-selected", i === n ? "true" : "false");
      });
      active = n;
      if (n >= 0) input.setAttribute("aria-activedescendant", items[n].el.id);
      else input.removeAttribute("aria-activedescendant");
    }

    function option(text, detail, name, extraClass) {
      var li = document.createElement("li");
      li.id = id + "-" + items.length;
      li.setAttribute("role", "option");
      li.className = "tag-suggest__option" + (extraClass ? " " + extraClass : "");
      var main = document.createElement("span");
      main.className = "tag-suggest__name";
      main.textContent = text;
      li.appendChild(main);
      if (detail) {
        var small = document.createElement("span");
        small.className = "tag-suggest__detail";
        small.textContent = detail;
        li.appendChild(small);
      }
      if (name !== null) {
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
          choose(name);
        });
        items.push({ el: li, name: name });
      } else {
        li.setAttribute("aria-disabled", "true");
      }
      list.appendChild(li);
    }

    function show(typed, data) {
      close();
      data.results.forEach(function (tag) {
        var details = [tag.count === 1 ? texts.plan : texts.plans.replace("{n}", tag.count)];
        if (tag.label && tag.label !== tag.name) details.unshift(tag.label);
        if (tag.matched) details.unshift(texts.also.replace("{name}", tag.matched));
        option(tag.name, details.join(" · "), tag.name, "");
      });
      if (typed && !data.exact) {
        if (data.can_create) {
          option(texts.created.replace("{typed}", typed), "", typed, "tag-suggest__option--new");
          status.textContent = texts.created.replace("{typed}", typed);
        } else {
          option(texts.closed.replace("{typed}", typed), "", null, "tag-suggest__option--closed");
          status.textContent = texts.closed.replace("{typed}", typed);
        }
      } else if (typed && data.exact) {
        status.textContent =
          data.exact.toLowerCase() === typed.toLowerCase()
            ? ""
            : texts.existing.replace("{typed}", typed).replace("{tag}", data.exact);
      } else {
        status.textContent = "";
      }
      if (list.children.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function ask() {
      var typed = segment();
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(typed), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data && ticket === asked && document.activeElement === input) show(typed, data);
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("focus", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault(); // choosing a tag does not submit the form
        choose(items[active].name);
      } else if (event.key === "Escape") {
        close();
      }
    });
  }

  function start() {
    document.querySelectorAll("input.tag-suggest[data-suggest-url]").forEach(setUp);
  }
  // The admin loads form media in the page's head, before the inputs exist.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
