// Number, money and date formatting, the same way the server writes them in text
// (actions/erp/formatting.py): lakh/crore grouping for South-Asian currencies
// unless the payload's `number_style` ("lakh" or "international", a user's
// remembered preference) says otherwise, symbols for USD/EUR/GBP, the sign in
// front, dates as "22 Nov 2026".
// Amounts arrive as decimal strings and are formatted from the digits, never
// through a float, so nothing is rounded away.

const SOUTH_ASIAN = new Set(["BDT", "INR", "NPR", "PKR"]);
const SYMBOLS = { USD: "$", EUR: "€", GBP: "£" };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

function groupWestern(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function groupSouthAsian(digits) {
  if (digits.length <= 3) return digits;
  const head = digits.slice(0, -3);
  return `${head.replace(/\B(?=(\d{2})+(?!\d))/g, ",")},${digits.slice(-3)}`;
}

function inLakh(currency, style) {
  if (style === "lakh" || style === "international") return style === "lakh";
  return SOUTH_ASIAN.has(currency);
}

function group(digits, currency, style) {
  return inLakh(currency, style) ? groupSouthAsian(digits) : groupWestern(digits);
}

// Round a decimal string half up to `places` decimals: [negative, whole, fraction].
function roundDecimal(value, places) {
  const match = DECIMAL.exec(String(value ?? ""));
  if (!match || (match[2] === "" && !match[3])) return null;
  const negative = match[1] === "-";
  let whole = match[2] || "0";
  let fraction = (match[3] || "").padEnd(places + 1, "0");
  const roundUp = Number(fraction[places]) >= 5;
  fraction = fraction.slice(0, places);
  if (roundUp) {
    const digits = (whole + fraction).split("").map(Number);
    let i = digits.length - 1;
    while (i >= 0) {
      if (digits[i] === 9) {
        digits[i] = 0;
        i -= 1;
      } else {
        digits[i] += 1;
        break;
      }
    }
    let joined = digits.join("");
    if (i < 0) joined = `1${joined}`;
    whole = joined.slice(0, joined.length - places) || "0";
    fraction = places ? joined.slice(joined.length - places) : "";
  }
  whole = whole.replace(/^0+(?=\d)/, "");
  const zero = /^0*$/.test(whole + fraction);
  return [negative && !zero, whole, fraction];
}

function withCurrency(number, currency, negative) {
  const sign = negative ? "-" : "";
  if (!currency) return `${sign}${number}`;
  const symbol = SYMBOLS[currency];
  return symbol ? `${sign}${symbol}${number}` : `${sign}${currency} ${number}`;
}

/** "1234567.5" with BDT → "BDT 12,34,567.50"; with USD → "$1,234,567.50". */
export function formatMoney(value, currency, style) {
  const code = (currency || "").trim().toUpperCase();
  const rounded = roundDecimal(value, 2);
  if (!rounded) return String(value ?? "");
  const [negative, whole, cents] = rounded;
  return withCurrency(`${group(whole, code, style)}.${cents}`, code, negative);
}

/** Whole numbers keep no decimals, others up to two; grouped like the currency. */
export function formatNumber(value, currency, style) {
  const code = (currency || "").trim().toUpperCase();
  const rounded = roundDecimal(value, 2);
  if (!rounded) return String(value ?? "");
  const [negative, whole, fraction] = rounded;
  const trimmed = fraction.replace(/0+$/, "");
  const text = group(whole, code, style) + (trimmed ? `.${trimmed}` : "");
  return (negative ? "-" : "") + text;
}

/** A value already in percent units: "12.5" → "12.5%". */
export function formatPercent(value) {
  const rounded = roundDecimal(value, 1);
  if (!rounded) return "n/a";
  const [negative, whole, fraction] = rounded;
  return `${negative ? "-" : ""}${whole}.${fraction}%`;
}

/** "2026-11-22" → "22 Nov 2026"; "2026-11" → "Nov 2026"; anything else unchanged. */
export function formatDate(value) {
  const text = String(value ?? "");
  let match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (match) return `${Number(match[3])} ${MONTHS[Number(match[2]) - 1]} ${match[1]}`;
  match = /^(\d{4})-(\d{2})$/.exec(text);
  if (match) return `${MONTHS[Number(match[2]) - 1]} ${match[1]}`;
  return text;
}

/** A short axis label: "22 Nov" for days, "Nov 26" for months. */
export function formatShortLabel(value) {
  const text = String(value ?? "");
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match) return `${Number(match[3])} ${MONTHS[Number(match[2]) - 1]}`;
  match = /^(\d{4})-(\d{2})$/.exec(text);
  if (match) return `${MONTHS[Number(match[2]) - 1]} ${match[1].slice(2)}`;
  match = /^(\d{1,2}) ([A-Z][a-z]{2}) \d{4}$/.exec(text);
  if (match) return `${match[1]} ${match[2]}`;
  return text;
}

function threeSignificant(x) {
  const places = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return String(Number(x.toFixed(places)));
}

/** Axis amounts: "4.5L", "1.23Cr" for taka, "12.5K", "1.2M" otherwise, with the symbol. */
/** Short-number units, largest first: lakh and crore where the currency's readers use them. */
function scalesFor(code, style) {
  return inLakh(code, style)
    ? [
        [1e7, "Cr"],
        [1e5, "L"],
        [1e3, "K"],
      ]
    : [
        [1e12, "T"],
        [1e9, "B"],
        [1e6, "M"],
        [1e3, "K"],
      ];
}

export function formatCompact(value, currency, style) {
  const code = (currency || "").trim().toUpperCase();
  const x = Number(value);
  if (!Number.isFinite(x)) return String(value ?? "");
  const magnitude = Math.abs(x);
  const scales = scalesFor(code, style);
  let text = threeSignificant(magnitude);
  for (const [threshold, suffix] of scales) {
    if (magnitude >= threshold) {
      text = threeSignificant(magnitude / threshold) + suffix;
      break;
    }
  }
  const symbol = SYMBOLS[code];
  const sign = x < 0 ? "-" : "";
  if (symbol) return `${sign}${symbol}${text}`;
  return `${sign}${text}`;
}

/** Axis tick labels in one unit, chosen by the largest tick: 0, 0.5Cr, 1Cr, 1.5Cr. */
export function formatAxis(ticks, currency, style) {
  const code = (currency || "").trim().toUpperCase();
  const largest = Math.max(0, ...ticks.map((t) => Math.abs(t)));
  const scales = scalesFor(code, style);
  const [scale, suffix] = scales.find(([threshold]) => largest >= threshold) || [1, ""];
  const symbol = SYMBOLS[code] || "";
  return ticks.map((tick) => {
    if (tick === 0) return `${symbol}0`;
    const text = String(Number((Math.abs(tick) / scale).toFixed(2)));
    return `${tick < 0 ? "-" : ""}${symbol}${text}${suffix}`;
  });
}

/** A cell value as text, by column type. */
export function formatCell(value, type, currency, style) {
  if (value === null || value === undefined || value === "") return "—";
  switch (type) {
    case "money":
      return formatMoney(value, currency, style);
    case "number":
      return formatNumber(value, currency, style);
    case "percent":
      return formatPercent(value);
    case "date":
      return formatDate(value);
    default:
      return String(value);
  }
}

/** A sortable key: numbers for money/number/percent, ISO text for dates, else lower-case text. */
export function sortKey(value, type) {
  if (value === null || value === undefined || value === "") return null;
  if (type === "money" || type === "number" || type === "percent") {
    const x = Number(value);
    return Number.isFinite(x) ? x : null;
  }
  if (type === "date") return String(value);
  return String(value).toLocaleLowerCase();
}

export function isNumericType(type) {
  return type === "money" || type === "number" || type === "percent";
}
