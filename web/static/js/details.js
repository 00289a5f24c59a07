// The details form of an item (when, channel, direction, who, note) on the upload page
// (`data-in-place`): saved in place with fetch, so a person can correct several freshly
// uploaded files without leaving the page. On the item's own page the form posts and the page
// comes back with the new values in its header, as it does without JavaScript.

export function enhanceDetailsForms(root = document) {
  root.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("details-form") ||
        !("inPlace" in form.dataset)) return;
    event.preventDefault();
    const status = form.querySelector(".form-status");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const reply = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const data = await reply.json();
      status.textContent = data.message || data.error || "";
      status.dataset.state = reply.ok ? "ok" : "error";
      if (reply.ok) rememberShownValues(form);
    } catch {
      status.textContent = form.dataset.failed || "";
      status.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  });
}

// After a save the values on screen are the stored ones: a field edited back later must count
// as a change again (the server compares with what it stores, so this only keeps the status
// line honest).
function rememberShownValues(form) {
  for (const field of form.elements) {
    if ("defaultValue" in field && field.type !== "hidden") field.defaultValue = field.value;
  }
}
