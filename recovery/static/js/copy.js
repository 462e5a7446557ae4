// "Copy" buttons: copy the text of the input named by data-copy. Without
// JavaScript the buttons stay hidden and the address can be selected by hand.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const input = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    if (!input || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        if (status) status.textContent = "Copied. Paste it into your calendar app.";
      } catch {
        input.select();
        if (status) status.textContent = "Select the address above and copy it.";
      }
    });
  }
});
