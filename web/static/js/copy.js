// Copy buttons: <button data-copy="ID" data-copied="Copied" hidden> copies the value of the
// field ID. The clipboard API exists only on https and localhost; a Liuhen reached at a
// network address (http://192.168.1.5:8000) selects the text and copies it the old way.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(field.value);
    } else {
      field.select();
      document.execCommand("copy");
    }
    button.textContent = button.dataset.copied;
    button.dataset.done = "true";
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
