// Live updates: every element with data-live subscribes to the server-sent events at that
// URL and replaces its content with each update. Without JavaScript the page is complete
// as served; a reload shows what changed.
'use strict';
document.querySelectorAll('[data-live]').forEach((el) => {
  const events = new EventSource(el.dataset.live);
  events.addEventListener('update', (e) => { el.innerHTML = e.data; });
});
