/* dyncrm portal: progressive enhancement only. Every page works without this file.

   A GET form with data-live="ID" updates the element #ID while the person types:
   the same request the form's button would send is fetched in the background, and
   #ID is replaced by the #ID of the page that comes back (announced to screen
   readers when #ID has aria-live). Used by the loan simulation, so the schedule
   and the eligibility reasons follow the amount and the months as they change. */
(function () {
  "use strict";

  function live(form) {
    var target = form.getAttribute("data-live");
    var timer = null;
    var latest = 0;

    function refresh() {
      var query = new URLSearchParams(new FormData(form)).toString();
      var asked = ++latest;
      fetch(form.action + "?" + query, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "dyncrm-live" }
      }).then(function (response) {
        return response.text();
      }).then(function (html) {
        if (asked !== latest) { return; }           /* a newer request is on its way */
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById(target);
        var old = document.getElementById(target);
        if (fresh && old) { old.innerHTML = fresh.innerHTML; }
      }).catch(function () { /* offline or refused: the button still works */ });
    }

    function soon() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    }

    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
  }

  /* On a phone the menu folds behind its "Menu" button; wider screens always show it. */
  function foldMenu() {
    var wide = window.matchMedia("(min-width: 48rem)");
    var folds = document.querySelectorAll("details.menu-fold");
    function apply() {
      for (var i = 0; i < folds.length; i++) {
        if (wide.matches) { folds[i].setAttribute("open", ""); }
        else { folds[i].removeAttribute("open"); }
      }
    }
    apply();
    if (wide.addEventListener) { wide.addEventListener("change", apply); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-live]");
    for (var i = 0; i < forms.length; i++) { live(forms[i]); }
    foldMenu();
  });
}());
