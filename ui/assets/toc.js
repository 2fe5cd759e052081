// The table of contents: a click on a node asks the server to open it in the reader.
element.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-node]");
  if (!button) return;
  element.querySelectorAll("[aria-current]").forEach((b) => b.removeAttribute("aria-current"));
  button.setAttribute("aria-current", "true");
  trigger("click", { node: button.dataset.node });
});
