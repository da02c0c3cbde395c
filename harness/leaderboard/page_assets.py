"""The leaderboard page's inline style sheet, sorting script and content security policy."""

# Nothing may leave the page: no fetch, no external image, font or script; images are data: URIs.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem auto;
       max-width: 92rem; padding: 0 1rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta, .note { color: #555; font-size: .9rem; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; font-size: .85rem; }
.scroll { overflow-x: auto; }
table.board { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.board th, table.board td { border-bottom: 1px solid #e3e3e3; padding: .3rem .55rem; vertical-align: top; }
table.board td.num { text-align: right; white-space: nowrap; } table.board td.txt { white-space: nowrap; }
table.board th { background: #f5f5f7; text-align: left; position: sticky; top: 0; }
table.board th button { all: unset; cursor: pointer; font-weight: 600; }
table.board th button::after { content: " \\2195"; color: #aaa; }
table.board th[aria-sort=ascending] button::after { content: " \\25B2"; color: #333; }
table.board th[aria-sort=descending] button::after { content: " \\25BC"; color: #333; }
td.role-real { border-left: 4px solid #2e7d32; } td.role-synthetic { border-left: 4px solid #1f77b4; }
td.role-random-init { border-left: 4px solid #757575; } td.role-baseline { border-left: 4px solid #ef6c00; }
details summary { cursor: pointer; color: #1f5fa8; white-space: nowrap; }
details dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .6rem; margin: .4rem 0;
             font-size: .8rem; max-width: 34rem; }
details dt { color: #666; } details dd { margin: 0; word-break: break-word; }
.grids { display: flex; flex-wrap: wrap; gap: 1rem; }
.grids figure { margin: 0; } .grids img { image-rendering: pixelated; width: 16rem; }
"""

# Click (or Enter on) a header: sort its table by that column, numbers by value ("63.00 ± 2.00" -> 63),
# empty cells ("—") last either way; a second click reverses.
JS = """
(function () {
  function key(cell) {
    var text = (cell.getAttribute('data-sort') || cell.textContent).trim();
    var num = parseFloat(text.replace(/[^0-9eE+\\-.].*$/, ''));
    return { text: text, num: isNaN(num) ? null : num, empty: text === '' || text === '\\u2014' || text === '-' };
  }
  function compare(a, b) {
    if (a.empty !== b.empty) return a.empty ? 1 : -1;
    if (a.num !== null && b.num !== null) return a.num - b.num;
    return a.text.localeCompare(b.text);
  }
  document.querySelectorAll('table.board').forEach(function (table) {
    var headers = table.querySelectorAll('thead th');
    headers.forEach(function (th, col) {
      var button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        var descending = th.getAttribute('aria-sort') === 'ascending';
        headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var a = key(r1.cells[col]), b = key(r2.cells[col]);
          if (a.empty !== b.empty) return a.empty ? 1 : -1;
          var c = compare(a, b);
          return descending ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"""
