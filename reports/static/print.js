/* The print button of the A4 report (no inline handlers). */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var b = document.getElementById("print-btn");
  if (b) b.addEventListener("click", function () { window.print(); });
});
