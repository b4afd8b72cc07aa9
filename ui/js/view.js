function link(overrides) {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) url.searchParams.delete(key); else url.searchParams.set(key, value);
  }
  return url.toString();
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {   // plain http on a LAN has no clipboard API: select and copy instead
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1200);
}

export default function ({ data, parentElement }) {
  let box = parentElement.querySelector(".rnnlab-links");
  if (!box) {
    box = document.createElement("div");
    box.className = "rnnlab-links";
    parentElement.appendChild(box);
  }
  box.replaceChildren();
  const rows = [];
  for (const [label, overrides] of data.links) {
    const row = document.createElement("div");
    row.className = "rnnlab-link";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy";
    const text = document.createElement("span");
    text.textContent = label;
    const code = document.createElement("code");
    row.append(button, text, code);
    button.addEventListener("click", () => copy(link(overrides), button));
    rows.push([code, overrides]);
    box.appendChild(row);
  }
  const refresh = () => { for (const [code, overrides] of rows) code.textContent = link(overrides); };
  refresh();
  const timer = setInterval(refresh, 1000);   // the step moves in the browser, without a rerun
  return () => clearInterval(timer);
}
