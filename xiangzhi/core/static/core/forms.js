/* xiangzhi forms: small helpers every form page shares (core/templates/core/forms/*.html). Without JavaScript
   every field shows and the server checks everything; this only guides. */
(function () {
  "use strict";

  // After a failed submit: bring the error summary into view and give it focus, so a screen reader reads it.
  function focusErrors() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var focusable = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      (focusable || target).scrollIntoView({ block: "center" });
      if (focusable) focusable.focus({ preventScroll: true });
    });
  }

  // A row shown only while another field has one of some values (残疾等级 while a flag with a level is ticked).
  function showWhen(form) {
    var rows = form.querySelectorAll("[data-show-when]");
    if (!rows.length) return;
    function update() {
      rows.forEach(function (row) {
        var values = row.getAttribute("data-show-values").split(" ");
        var controls = form.querySelectorAll("[name='" + row.getAttribute("data-show-when") + "']");
        var on = Array.prototype.some.call(controls, function (c) {
          return (c.type === "checkbox" || c.type === "radio" ? c.checked : true) && values.indexOf(c.value) >= 0;
        });
        // a row with an error stays visible: its message must be read
        row.hidden = !on && !row.querySelector(".has-error");
      });
    }
    form.addEventListener("change", update);
    update();
  }

  // Rows added one at a time (phones): the rows after the first empty one hide behind an "add" button.
  function moreRows(fieldset) {
    var rows = Array.prototype.slice.call(fieldset.querySelectorAll(":scope > .row"));
    function empty(row) {
      return !row.querySelector(".has-error") && Array.prototype.every.call(
        row.querySelectorAll("input[type=text], input[type=tel], input:not([type])"), function (i) { return !i.value.trim(); });
    }
    var firstEmpty = rows.findIndex(empty);
    if (firstEmpty < 0) return;
    var hidden = rows.slice(firstEmpty + 1).filter(empty);
    if (!hidden.length) return;
    hidden.forEach(function (row) { row.hidden = true; });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary more";
    button.textContent = fieldset.getAttribute("data-more");
    button.addEventListener("click", function () {
      var row = hidden.shift();
      row.hidden = false;
      var input = row.querySelector("input, select");
      if (input) input.focus();
      if (!hidden.length) button.remove();
    });
    fieldset.appendChild(button);
  }

  // GB 11643: an ID number gives the birth date and the sex. Same rule as registry/idnumber.py.
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";
  function checkChar(first17) {
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += parseInt(first17[i], 10) * WEIGHTS[i];
    return CHECK[sum % 11];
  }
  function parseId(raw) {
    var value = raw.replace(/[\uFF01-\uFF5E]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/\s/g, "").toUpperCase();
    if (/^\d{15}$/.test(value)) {
      var body = value.slice(0, 6) + "19" + value.slice(6);
      value = body + checkChar(body);
    }
    if (!/^\d{17}[\dX]$/.test(value) || checkChar(value.slice(0, 17)) !== value[17]) return null;
    var y = +value.slice(6, 10), m = +value.slice(10, 12), d = +value.slice(12, 14);
    var born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) return null;
    if (y < 1850 || born > new Date()) return null;
    return { birth: value.slice(6, 10) + "-" + value.slice(10, 12) + "-" + value.slice(12, 14), sex: +value[16] % 2 ? "M" : "F" };
  }
  function idNumber(input) {
    var sex = document.getElementById(input.getAttribute("data-sex-field"));
    var birth = document.getElementById(input.getAttribute("data-birth-field"));
    if (!birth) return;
    var note = document.createElement("p");
    note.className = "id-mismatch";
    note.setAttribute("role", "status");
    note.id = birth.id + "_idcheck";
    birth.insertAdjacentElement("afterend", note);
    var filled = "";  // the date this script put there: replaced freely when the number changes
    function check() {
      var parsed = parseId(input.value);
      note.textContent = "";
      birth.removeAttribute("aria-invalid");
      if (!parsed) return;
      if (sex) sex.value = parsed.sex;
      if (!birth.value || birth.value === filled) {
        birth.value = filled = parsed.birth;
      } else if (birth.value !== parsed.birth) {
        note.textContent = input.getAttribute("data-mismatch");
        birth.setAttribute("aria-invalid", "true");
        birth.setAttribute("aria-describedby", ((birth.getAttribute("aria-describedby") || "") + " " + note.id).trim());
      }
    }
    input.addEventListener("input", check);
    birth.addEventListener("change", check);
    // back from the server with its own message on the birth date: do not say it twice
    if (!birth.closest(".has-error")) check();
  }

  function start() {
    focusErrors();
    document.querySelectorAll("form").forEach(showWhen);
    document.querySelectorAll("fieldset[data-more]").forEach(moreRows);
    document.querySelectorAll("input[data-id-number]").forEach(idNumber);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
