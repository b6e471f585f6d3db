// acct console: progressive enhancement only; every form works without this file.
// Copy buttons: <button data-copy="ID" hidden> copies the text of #ID.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const target = document.getElementById(button.dataset.copy);
  if (!target || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed: select the key and copy it';
    }
    setTimeout(() => (button.textContent = 'Copy'), 2500);
  });
}
// Destructive buttons ask first: <button data-confirm="…">.
for (const button of document.querySelectorAll('button[data-confirm]')) {
  button.addEventListener('click', (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
}
