"""The evaluation report's stylesheet: inline in report.html, for a phone, a screen and A4."""

CSS = """
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --rule: #c9ced6;
  --accent: #1f4e79; --band: #f3f5f8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Liberation Sans", sans-serif; }
header, main, footer { max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1.5rem; border-bottom: 3px solid var(--accent); }
.kicker { margin: 0; color: var(--accent); font-weight: 600; letter-spacing: .04em;
  text-transform: uppercase; font-size: .8rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: .2rem 0 .8rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--rule); color: var(--accent); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p, li { overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.headline { background: var(--band); border-left: 4px solid var(--accent);
  padding: .6rem 1rem .6rem 1.2rem; }
.headline h2 { margin-top: .3rem; }
.headline ul { margin: .3rem 0; padding-left: 1.1rem; }
.headline li { margin: .35rem 0; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .2rem 0 .4rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .45rem; vertical-align: top;
  text-align: left; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
tbody th { font-weight: normal; }
tfoot th, tfoot td { font-weight: 600; border-bottom: 0; }
figure { margin: 1rem 0 1.4rem; }
figure svg { display: block; width: 100%; max-width: 34rem; height: auto; }
.on-paper { display: none; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .3rem; }
.note { color: var(--muted); font-size: .9rem; }
.code { white-space: nowrap; }
blockquote { margin: .5rem 0; padding: .3rem .8rem; border-left: 3px solid var(--rule);
  font-style: italic; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2.5rem; padding-bottom: 2rem;
  border-top: 1px solid var(--rule); padding-top: .6rem; }
@media (max-width: 30rem) {
  table { font-size: .8rem; }
  th, td { padding: .3rem .25rem; }
  h1 { font-size: 1.6rem; }
}
@media print {
  @page { size: A4; margin: 16mm 15mm 18mm; }
  body { font-size: 10.5pt; }
  table { font-size: 9pt; }
  header, main, footer { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3, caption { break-after: avoid; page-break-after: avoid; }
  table, figure, blockquote, .headline, dl, .keep {
    break-inside: avoid; page-break-inside: avoid; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0 8mm; align-items: start; }
  .pair figure { margin-top: .6rem; }
  .table-wrap { overflow: visible; }
  figure svg { max-width: 10cm; max-height: 17cm; }
  .on-screen { display: none; }
  .on-paper { display: block; }
  .on-paper svg { max-width: none; max-height: 23cm; }
  a { color: inherit; text-decoration: none; }
}
"""
