// Behaviour of the answer cards (run once; the cards are re-rendered on every answer, so the
// listeners are delegated from the component's root `element`).

// One live region, outside the re-rendered pane, so a screen reader hears the outcome of each
// question ("5 passages · 0.05 s", the not-in-plan notice) and of each copy.
const live = document.createElement("p");
live.className = "pq-sr";
live.setAttribute("role", "status");
document.body.appendChild(live);
function say(text) {
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);  // a fresh change, even for the same words
}

watch("value", () => {
  const parts = [...element.querySelectorAll(".pq-notice, .pq-summary")].map((e) => e.textContent);
  if (parts.length) say(parts.join(" "));
});

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    // No Clipboard API outside a secure context (plain http on a public host): select and copy.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e2) { ok = false; }
    area.remove();
    return ok;
  }
}

element.addEventListener("click", async (event) => {
  const button = event.target.closest("button.pq-copy");
  if (!button) return;
  button.dataset.idle = button.dataset.idle || button.textContent;
  const ok = await copyText(button.dataset.cite);
  const said = ok ? button.dataset.done : button.dataset.fail;
  button.textContent = said;
  button.classList.toggle("pq-done", ok);
  say(said);
  setTimeout(() => {
    button.textContent = button.dataset.idle;
    button.classList.remove("pq-done");
  }, 1800);
});

// Opening "show in context" scrolls the section so the cited passage is in view.
// `toggle` does not bubble, hence the capture phase.
element.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!details.classList || !details.classList.contains("pq-context") || !details.open) return;
  const body = details.querySelector(".pq-context-body");
  const mark = body && body.querySelector(".pq-mark, .pq-mark-row");
  if (!mark) return;
  const offset = mark.getBoundingClientRect().top - body.getBoundingClientRect().top;
  body.scrollTop += offset - body.clientHeight / 4;
}, true);
