// Copy buttons: <button data-copy="ID" data-copied="Copied" hidden> copies the value of the
// field ID. The button stays hidden where the browser has no clipboard API (select and copy).
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(field.value);
    button.textContent = button.dataset.copied;
    button.dataset.done = "true";
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
