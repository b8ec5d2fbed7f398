document.querySelectorAll('#students th[data-sort]').forEach(function (th, col) {
  th.style.cursor = 'pointer';
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0], num = th.dataset.sort === 'num';
    var down = th.dataset.dir !== 'down'; th.dataset.dir = down ? 'down' : 'up';
    var key = function (tr) { var v = tr.cells[col].textContent.trim(); return num ? (parseFloat(v) || 0) : v.toLowerCase(); };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b); var c = x < y ? -1 : x > y ? 1 : 0; return (num && down) ? -c : (down ? c : -c);
    }).forEach(function (tr) { body.appendChild(tr); });
  });
});
