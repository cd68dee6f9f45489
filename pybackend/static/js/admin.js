/* The editors' area, every page: after a refused form (fields to correct, or someone
   else saved first) the page comes back with the explanation above the form. Start
   there, not at the top: the next Tab reaches the fields or the merge choices, and a
   screen reader reads the notice. Without JavaScript nothing changes. */
(function () {
  "use strict";
  var notice = document.getElementById("conflict") || document.getElementById("form-errors");
  if (notice) { notice.focus(); }
}());
