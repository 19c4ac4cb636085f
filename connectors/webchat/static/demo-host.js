// The demo host's module navigation: each screen tells the assistant where the user is.

const SCREENS = {
  dashboard: ["Dashboard", "Today across the company."],
  finance: ["Finance", "Receivables, payables and cash."],
  sales: ["Sales", "Orders, customers and invoices."],
  purchasing: ["Purchasing", "Purchase orders and approvals."],
  warehouse: ["Warehouse", "Stock, transfers and reorders."],
};

function show(module) {
  const [title, lead] = SCREENS[module] || SCREENS.finance;
  document.getElementById("screen-title").textContent = title;
  document.getElementById("screen-lead").textContent = lead;
  for (const link of document.querySelectorAll(".sidebar a")) {
    if (link.dataset.module === module) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  window.ERPChat?.setContext({ module, path: `/erp/${module}` });
}

function current() {
  const module = window.location.hash.replace(/^#\//, "");
  return SCREENS[module] ? module : "finance";
}

window.addEventListener("hashchange", () => show(current()));
// embed.js is a classic script after this module in the page, so it has run by now
show(current());
