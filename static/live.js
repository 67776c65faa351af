// The live calls page: follows /live/events (Server-Sent Events) and redraws the table from each "calls" event,
// with textContent only (never innerHTML: caller ID names come from the outside world), and ticks the durations
// every second. When the stream is refused (too many streams: 503) or the daemon cannot be reached, EventSource
// gives up; the page then reloads itself after a while, like it does without JavaScript.
"use strict";
(function () {
  var table = document.getElementById("live-calls");
  if (!table || !window.EventSource) {
    return;
  }
  var rows = document.getElementById("live-rows");
  // Seconds to add to the browser's clock to get the server's, so durations do not depend on the browser's clock.
  var skew = Number(table.getAttribute("data-now")) - Date.now() / 1000;

  function words(prefix, key) {
    return table.getAttribute("data-" + prefix + "-" + key) || key;
  }

  function elapsed(since) {
    var s = Math.max(0, Math.floor(Date.now() / 1000 + skew - since));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (sec < 10 ? "0" : "") + sec;
  }

  function span(cls, text) {
    var e = document.createElement("span");
    e.className = cls;
    e.textContent = text;
    return e;
  }

  function party(td, p) {
    if (p.name) {
      td.appendChild(span("clid-name", p.name));
      td.appendChild(document.createTextNode(" "));
    }
    td.appendChild(span("number", p.number));
    if (p.endpoint && p.endpoint !== p.number) {
      td.appendChild(document.createTextNode(" "));
      td.appendChild(span("endpoint", "(" + p.endpoint + ")"));
    }
  }

  function cell(tr, cls) {
    var td = document.createElement("td");
    td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function draw(data) {
    skew = data.now - Date.now() / 1000;
    document.getElementById("live-active").textContent = String(data.active);
    document.getElementById("live-peak").textContent = String(data.peak);
    document.getElementById("live-disconnected").hidden = data.connected;
    document.getElementById("live-unsynced").hidden = !data.connected || data.synced;
    document.getElementById("live-none").hidden = data.calls.length > 0;
    var body = document.createElement("tbody");
    body.id = "live-rows";
    data.calls.forEach(function (c) {
      var tr = document.createElement("tr");
      tr.className = "state-" + c.state;
      tr.setAttribute("data-call", c.id);
      party(cell(tr, "caller"), c.caller);
      party(cell(tr, "callee"), c.callee);
      cell(tr, "state").textContent = words("state", c.state);
      var kind = cell(tr, "kind");
      kind.textContent = words("kind", c.kind);
      if (c.trunk) {
        kind.appendChild(document.createTextNode(" "));
        kind.appendChild(span("trunk", c.trunk));
      }
      cell(tr, "time").textContent = c.since_text;
      var d = cell(tr, "duration");
      d.setAttribute("data-since", String(c.since));
      d.textContent = elapsed(c.since);
      body.appendChild(tr);
    });
    rows.parentNode.replaceChild(body, rows);
    rows = body;
  }

  function tick() {
    var cells = rows.querySelectorAll("td.duration[data-since]");
    for (var i = 0; i < cells.length; i++) {
      cells[i].textContent = elapsed(Number(cells[i].getAttribute("data-since")));
    }
  }

  var source = new EventSource("/live/events");
  source.addEventListener("calls", function (event) {
    try {
      draw(JSON.parse(event.data));
    } catch (e) {
      // A message that cannot be read: keep the table as it is; the next one redraws it.
    }
  });
  source.addEventListener("error", function () {
    // CLOSED: refused (503) or not an event stream; EventSource will not try again by itself.
    if (source.readyState === EventSource.CLOSED) {
      window.setTimeout(function () { window.location.reload(); }, 10000);
    }
  });
  window.setInterval(tick, 1000);
})();
