// The upload page: drop or pick many files; each goes in its own request (a few at a time) with
// a progress bar; the server answers per file (stored / duplicate / refused) and, for a stored
// file, the form for what the file cannot tell, already filled in from the file.
import { enhanceDetailsForms } from "./details.js";

const CONCURRENCY = 3;
const form = document.getElementById("upload-form");
const input = document.getElementById("file-input");
const zone = document.getElementById("dropzone");
const list = document.getElementById("upload-list");
const heading = document.getElementById("results-heading");
const rowTemplate = document.getElementById("upload-row");
const text = document.getElementById("upload-text").dataset;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const maxBytes = Number(form.dataset.maxBytes);
const queue = [];
let active = 0;

form.classList.add("js-enabled");
enhanceDetailsForms(document);

input.addEventListener("change", () => {
  addFiles(input.files);
  input.value = "";
});
form.addEventListener("submit", (event) => event.preventDefault());
for (const name of ["dragenter", "dragover"]) {
  zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add("is-dragging");
  });
}
for (const name of ["dragleave", "dragend"]) {
  zone.addEventListener(name, () => zone.classList.remove("is-dragging"));
}
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  zone.classList.remove("is-dragging");
  addFiles(event.dataTransfer.files);
});

function addFiles(files) {
  heading.classList.remove("is-hidden");
  for (const file of files) {
    const row = makeRow(file);
    if (file.size > maxBytes) {
      finish(row, "refused", text.tooLarge);
      continue;
    }
    queue.push({ file, row });
  }
  pump();
}

function makeRow(file) {
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  row.querySelector(".upload-name").textContent = file.name;
  row.querySelector(".upload-size").textContent = formatSize(file.size);
  row.querySelector(".upload-status").textContent = text.waiting;
  list.append(row);
  return row;
}

function pump() {
  while (active < CONCURRENCY && queue.length) {
    const next = queue.shift();
    active += 1;
    send(next).finally(() => {
      active -= 1;
      pump();
    });
  }
}

function send({ file, row }) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const progress = row.querySelector(".upload-progress");
    row.dataset.state = "sending";
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.floor((event.loaded / event.total) * 100);
      progress.value = percent;
      setStatus(row, text.sending.replace("{percent}", percent));
    });
    xhr.upload.addEventListener("load", () => {
      progress.removeAttribute("value"); // indeterminate while the server encrypts and checks
      setStatus(row, text.checking);
    });
    xhr.addEventListener("load", () => {
      const data = parseJson(xhr.responseText);
      if (xhr.status === 200 && data && data.results && data.results.length) {
        for (const result of data.results) showResult(row, result);
      } else {
        finish(row, "refused", (data && data.error) || text.failed);
      }
      resolve();
    });
    xhr.addEventListener("error", () => {
      finish(row, "failed", text.failed);
      resolve();
    });
    const body = new FormData();
    // What the person said the files are (a written agreement…) goes before the file.
    const kind = form.querySelector('select[name="kind"]');
    if (kind && kind.value) body.append("kind", kind.value);
    body.append("file", file, file.name);
    xhr.send(body);
  });
}

function showResult(row, result) {
  finish(row, result.status, result.message);
  const status = row.querySelector(".upload-status");
  const url = result.url || result.existing_url;
  if (url) {
    const link = document.createElement("a");
    link.href = url;
    link.textContent = text.open;
    status.append(" ", link);
  }
  if (result.detail) {
    const detail = document.createElement("p");
    detail.className = "hint refusal-detail";
    detail.textContent = result.detail;
    status.after(detail);
  }
  if (result.form_html) {
    // Markup rendered by this server from its own template (values escaped there).
    row.querySelector(".upload-form-slot").innerHTML = result.form_html;
  }
}

function finish(row, state, message) {
  row.dataset.state = state;
  row.querySelector(".upload-progress").remove();
  setStatus(row, message);
}

function setStatus(row, message) {
  const status = row.querySelector(".upload-status");
  status.textContent = message;
  status.className = `upload-status status-${row.dataset.state}`;
}

function parseJson(body) {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

function formatSize(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}
