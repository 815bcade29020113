// Colours: the Okabe–Ito palette (safe for the common colour-vision deficiencies), and
// verdict colours that differ in more than hue (the drop mark is also a cross shape).

export const OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

export const VERDICT = {
  delivered: "#009E73",
  dropped: "#D55E00",
  rejected: "#E69F00",
};

/** A stable colour per namespace (same name → same colour in every session). */
export function namespaceColour(ns) {
  let h = 0;
  for (const ch of ns ?? "") h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return OKABE_ITO[h % 6];
}

export const THEMES = {
  light: { bg: "#fbfbfd", fg: "#1b1f24", muted: "#57606a", node: "#eef2f6", nodeBorder: "#8c959f", line: "#d0d7de" },
  dark: { bg: "#0d1117", fg: "#e6edf3", muted: "#8d96a0", node: "#161b22", nodeBorder: "#6e7681", line: "#30363d" },
};
