// Centralita's only script: confirmation prompts for destructive forms (data-confirm="question").
// Loaded from a file, never inline, so the Content-Security-Policy can forbid inline scripts.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
