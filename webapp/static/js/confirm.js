// One confirmation for destructive actions, in a <dialog> (no window.confirm, no inline handlers):
//   <form data-confirm="Stop charging now?" data-confirm-yes="Stop charging">  (a form, asked before it submits)
//   <a|button data-confirm="...">                                             (a link or a lone button)
//   hx-confirm="..."                                                          (htmx asks through htmx:confirm)
// Cancel (or Escape) does nothing; the confirming button says what will happen.
(function () {
  var dialog, message, yes, pending = null;

  function build() {
    if (dialog) { return dialog; }
    dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-message");
    var form = document.createElement("form");
    form.method = "dialog";
    message = document.createElement("p");
    message.id = "confirm-message";
    var row = document.createElement("div");
    row.className = "confirm-actions";
    var no = document.createElement("button");
    no.value = "cancel"; no.textContent = "Cancel"; no.className = "confirm-no";
    yes = document.createElement("button");
    yes.value = "confirm"; yes.className = "danger confirm-yes";
    row.append(no, yes);
    form.append(message, row);
    dialog.append(form);
    dialog.addEventListener("close", function () {
      var run = pending;
      pending = null;
      if (run && dialog.returnValue === "confirm") { run(); }
    });
    document.body.append(dialog);
    return dialog;
  }

  function ask(question, yesLabel, then) {
    build();
    if (!document.body.contains(dialog)) { document.body.append(dialog); }  // a boosted page swapped the body
    message.textContent = question;
    yes.textContent = yesLabel || "Confirm";
    dialog.returnValue = "";
    pending = then;
    dialog.showModal();
    dialog.querySelector(".confirm-no").focus();  // the safe choice has the focus
  }
  window.chargewayConfirm = ask;

  // Capture phase: this runs before htmx's boosted-form listener, which a refusal then never reaches.
  document.addEventListener("submit", function (event) {
    var form = event.target, question = form.dataset && form.dataset.confirm;
    if (!question) { return; }
    if (form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter || null;
    var action = form.getAttribute("action");
    ask(question, form.dataset.confirmYes, function () {
      // A polled fragment may have been swapped while the dialog was open: submit the form that is there now.
      var live = document.body.contains(form) ? form : document.querySelector('form[data-confirm][action="' + action + '"]');
      if (!live) { return; }
      live.dataset.confirmed = "1";
      live.requestSubmit(submitter && submitter.form === live ? submitter : undefined);
    });
  }, true);

  document.addEventListener("click", function (event) {
    var el = event.target.closest("a[data-confirm], button[data-confirm]");
    if (!el) { return; }
    if (el.dataset.confirmed === "1") { delete el.dataset.confirmed; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(el.dataset.confirm, el.dataset.confirmYes, function () { el.dataset.confirmed = "1"; el.click(); });
  }, true);

  document.addEventListener("htmx:confirm", function (event) {
    if (!event.detail.question) { return; }
    event.preventDefault();
    var el = event.detail.elt;
    ask(event.detail.question, el && el.dataset.confirmYes, function () { event.detail.issueRequest(true); });
  });
})();
