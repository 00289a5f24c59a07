// The timeline's filters apply as soon as they change, and the state of running jobs
// ("Transcribing 40 %") is refreshed every few seconds from a small JSON endpoint until nothing
// is waiting or running. The evidence page uses the same poll for its own jobs, and its list of
// jobs says the same as the bar while the page stays open.

const POLL_MS = 2500;
const ACTIVE = new Set(["queued", "running"]);

for (const field of document.querySelectorAll("[data-autosubmit]")) {
  field.addEventListener("change", () => field.form.requestSubmit());
}

const container = document.querySelector("[data-jobs-url]");
if (container && slots().some((slot) => ACTIVE.has(slot.dataset.jobStatus))) {
  setTimeout(poll, POLL_MS);
}

function slots() {
  return [...document.querySelectorAll("[data-job-for]")];
}

async function poll() {
  const watched = slots().filter((slot) => ACTIVE.has(slot.dataset.jobStatus));
  const url = new URL(container.dataset.jobsUrl, window.location.href);
  if (!url.searchParams.has("ids")) {
    url.searchParams.set("ids", watched.map((slot) => slot.dataset.jobFor).join(","));
  }
  let data;
  try {
    const reply = await fetch(url, { credentials: "same-origin",
                                     headers: { Accept: "application/json" } });
    if (!reply.ok) return;
    data = await reply.json();
  } catch {
    setTimeout(poll, POLL_MS * 4); // the server is busy or restarting: try again later
    return;
  }
  for (const slot of watched) render(slot, data.items[slot.dataset.jobFor]);
  if (data.active) {
    setTimeout(poll, POLL_MS);
  } else if (container.dataset.reloadWhenDone) {
    window.location.reload(); // the new transcript or text is on the page now
  }
}

function render(slot, state) {
  slot.dataset.jobStatus = state ? state.status : "";
  slot.replaceChildren();
  if (!state) return;
  const label = document.createElement("span");
  label.className = "job-label";
  label.textContent = state.label;
  slot.append(label);
  if (state.status === "running") {
    const bar = document.createElement("progress");
    bar.className = "job-progress";
    bar.max = 100;
    bar.value = Math.round(state.progress * 100);
    slot.append(bar);
  }
  const line = document.querySelector(`[data-job-label="${state.job_id}"]`);
  if (line) line.textContent = state.label;
}
