// On a narrow screen the reader sits below the contents: bring it into view when a node opens.
watch("value", () => {
  if (window.matchMedia("(max-width: 800px)").matches) element.scrollIntoView({ block: "start" });
});
