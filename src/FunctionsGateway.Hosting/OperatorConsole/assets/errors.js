// errors.js: the page's one errors area (#errors, role="alert"). Every error the console meets is shown here with its
// codes, "CODE / DETAIL_CODE: message", so nothing fails silently. Views import showError for their own failures.
import { GatewayError } from "./gateway.js";

const MAX_ERRORS = 8;

/** Shows an error (a GatewayError, an Error or anything else); a repeat of the last one is counted, not listed again. */
export function showError(error) {
  const text = error instanceof GatewayError ? error.toString()
    : `${error?.code ?? "ERROR"}: ${error?.message ?? String(error)}`;
  const list = document.getElementById("error-list");
  const last = list.lastElementChild;
  if (last?.dataset.text === text) {
    last.dataset.count = String(Number(last.dataset.count) + 1);
    last.textContent = `${text} (×${last.dataset.count})`;
  } else {
    const item = document.createElement("li");
    item.dataset.text = text;
    item.dataset.count = "1";
    item.textContent = text;
    list.append(item);
    while (list.children.length > MAX_ERRORS) list.firstElementChild.remove();
  }
  document.getElementById("errors").hidden = false;
}

export function clearErrors() {
  document.getElementById("error-list").replaceChildren();
  document.getElementById("errors").hidden = true;
}
