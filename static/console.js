// The debug console: "Follow" appends the lines Asterisk writes to its log as they come, from /console/events
// (Server-Sent Events, filtered by the page's level and text), with textContent only (log lines come from the
// outside world). Each event says where the next line starts, so a stream that ends (after 5 minutes, or a lost
// connection) is opened again from there and no line is shown twice or lost.
"use strict";
(function () {
  var list = document.getElementById("log-lines");
  var box = document.getElementById("follow-box");
  if (!list || !box || !window.EventSource) {
    return;
  }
  var button = document.getElementById("follow");
  var state = document.getElementById("follow-state");
  var from = list.getAttribute("data-end") || "";
  var max = Number(list.getAttribute("data-max")) || 500;
  var source = null, retry = null;
  box.hidden = false;

  function url() {
    return "/console/events?level=" + encodeURIComponent(list.getAttribute("data-level") || "") +
      "&q=" + encodeURIComponent(list.getAttribute("data-q") || "") + (from ? "&from=" + from : "");
  }

  function add(line) {
    var li = document.createElement("li");
    li.className = "log-" + line.level;
    li.textContent = line.text;
    var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.appendChild(li);
    while (list.children.length > max) {
      list.removeChild(list.firstElementChild);
    }
    var empty = document.getElementById("log-empty");
    if (empty) {
      empty.hidden = true;
    }
    if (atBottom) {
      list.scrollTop = list.scrollHeight;
    }
  }

  function open() {
    source = new EventSource(url());
    source.addEventListener("line", function (e) {
      var line = JSON.parse(e.data);
      from = String(line.next);
      add(line);
    });
    source.addEventListener("file", function (e) {
      var problem = JSON.parse(e.data);
      state.textContent = problem ? problem : state.getAttribute("data-on");
    });
    source.onerror = function () {
      // Opened again by hand, from the last line seen (EventSource would reuse the first URL's start).
      source.close();
      source = null;
      retry = window.setTimeout(open, 1000);
    };
  }

  function stop() {
    if (source) {
      source.close();
      source = null;
    }
    window.clearTimeout(retry);
    state.textContent = "";
    button.textContent = button.getAttribute("data-start");
  }

  button.addEventListener("click", function () {
    if (source || retry) {
      stop();
      retry = null;
      return;
    }
    button.textContent = button.getAttribute("data-stop");
    state.textContent = state.getAttribute("data-on");
    list.scrollTop = list.scrollHeight;
    open();
  });
}());
