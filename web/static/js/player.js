// A recording with its transcript: the line being spoken is highlighted, clicking a line plays
// from there, and ?t=SECONDS in the address starts at that moment (search results link so).
import { enhanceDetailsForms } from "./details.js";

enhanceDetailsForms(document);

const media = document.getElementById("media");
if (media) {
  const lines = [...document.querySelectorAll(".segment[data-start]")].map((element) => ({
    element,
    start: Number(element.dataset.start),
    end: Number(element.dataset.end),
  }));
  const current = lines.filter((line) => line.element.closest("[data-testid=transcript]"));
  let playing = null;

  document.addEventListener("click", (event) => {
    const segment = event.target.closest(".segment[data-start]");
    if (!segment || event.target.closest("textarea, a")) return;
    media.currentTime = Number(segment.dataset.start);
    media.play().catch(() => {});
  });

  media.addEventListener("timeupdate", () => highlight(media.currentTime, false));

  const at = Number(media.dataset.seek || "x");
  if (Number.isFinite(at) && at >= 0) {
    const apply = () => {
      media.currentTime = at;
      highlight(at, true);
    };
    if (media.readyState >= 1) apply();
    else media.addEventListener("loadedmetadata", apply, { once: true });
  }

  function highlight(time, scroll) {
    const line = current.find((l) => time >= l.start && time < (l.end || l.start + 1e-3))
      || null;
    if (line === playing) return;
    if (playing) playing.element.classList.remove("is-playing");
    playing = line;
    if (!line) return;
    line.element.classList.add("is-playing");
    if (scroll || !isVisible(line.element)) {
      line.element.scrollIntoView({ block: "nearest", behavior: scroll ? "auto" : "smooth" });
    }
  }
}

function isVisible(element) {
  const box = element.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}
