/* Patient checklist: post the item forms with fetch and swap the item in place.
   Without this file (or without fetch) the same forms post normally and the page reloads. */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !document.querySelector) {
    return;
  }
  var announce = document.getElementById("announce");

  function say(message) {
    if (!announce || !message) {
      return;
    }
    announce.textContent = "";
    window.setTimeout(function () { announce.textContent = message; }, 50);
  }

  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function focusIn(entry) {
    var target = entry.querySelector("button, summary") || entry.querySelector(".entry-text");
    if (!target) {
      return;
    }
    if (!target.matches("button, summary")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  /* The fresh item goes where it now belongs: an undone tick back to "To do now", a tick to
     "Done", "I couldn't do this" to "Not done"; elsewhere (or unknown) it stays in place. */
  function replace(entry, html, section) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    if (!fresh) {
      return;
    }
    var list = section ? document.querySelector('ul.entries[data-section="' + section + '"]') : null;
    if (!list || list.contains(entry)) {
      entry.replaceWith(fresh);
    } else {
      var from = entry.parentElement;
      entry.remove();
      list.insertBefore(fresh, list.firstElementChild);
      reveal(list);
      if (from && from.matches("ul.entries") && !from.querySelector("li.entry")) {
        var empty = from.parentElement.querySelector("p.empty");
        if (empty) { empty.hidden = false; }
      }
    }
    focusIn(fresh);
  }

  function reveal(list) {
    var section = list.closest("section");
    if (section) { section.hidden = false; }
    var empty = section ? section.querySelector("p.empty") : null;
    if (empty) { empty.hidden = true; }
  }

  function busy(form, on) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
      button.disabled = on;
    });
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("act")) {
      return;
    }
    if (form.dataset.plain === "yes") {
      return; /* a retry after a network problem: let the browser post it */
    }
    var entry = form.closest("li.entry");
    var submitter = event.submitter;
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    event.preventDefault();
    busy(form, true);
    /* form.action would be the button named "action" (DOM named access), not the URL */
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(form) }
    }).then(function (response) {
      return response.json().then(function (body) { return body; });
    }).then(function (body) {
      busy(form, false);
      if (body.html && entry) {
        replace(entry, body.html, body.section);
      }
      say(body.message);
    }).catch(function () {
      busy(form, false);
      form.dataset.plain = "yes";
      if (form.requestSubmit) {
        form.requestSubmit(submitter || undefined);
      } else {
        form.submit();
      }
    });
  });
}());
