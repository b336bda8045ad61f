// Clicking a citation marker [n] opens source n of the same answer and scrolls to it.
// (Gradio's sanitizer drops data-* attributes, so the link's href names the source's id.)
() => {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.cite");
    if (!link) return;
    event.preventDefault();
    const id = (link.getAttribute("href") || "").slice(1);
    const scope = link.closest(".answer") || document;
    const source = scope.querySelector(`details[id="${CSS.escape(id)}"]`);
    if (source) {
      source.open = true;
      source.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  });
}
