import { createHash } from 'node:crypto';
import { MEASUREMENT_UNITS } from './validate-measurement.ts';

const STYLE = `
body { font: 16px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; }
form { display: grid; grid-template-columns: 8rem 1fr; gap: .5rem 1rem; align-items: center; }
button { grid-column: 2; justify-self: start; padding: .4rem 1.2rem; }
[role=status] { min-height: 1.5rem; font-weight: 600; }
[role=status].error { color: #b00020; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #ddd; }
`;

// Builds the list with textContent only: sensor names are user input.
const SCRIPT = `
const form = document.getElementById('measurement-form');
const statusEl = document.getElementById('status');
const rows = document.getElementById('recent-rows');

function showStatus(text, isError) {
  statusEl.textContent = text;
  statusEl.className = isError ? 'error' : '';
}

async function refresh() {
  const res = await fetch('/api/measurements?limit=10');
  if (!res.ok) return;
  const { items } = await res.json();
  rows.replaceChildren(...items.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    for (const text of [m.sensor, String(m.value), m.unit, m.recordedAt]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const body = {
    sensor: String(data.get('sensor')),
    value: data.get('value') === '' ? null : Number(data.get('value')),
    unit: String(data.get('unit')),
  };
  showStatus('Saving…', false);
  try {
    const res = await fetch('/api/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const payload = await res.json();
    if (res.status === 201) {
      showStatus('Saved ' + payload.id, false);
      await refresh();
    } else if (payload.details) {
      showStatus('Not saved: ' + payload.details.map((d) => d.field + ' ' + d.message).join('; '), true);
    } else {
      showStatus('Not saved: ' + (payload.message || payload.error || res.status), true);
    }
  } catch (error) {
    showStatus('Not saved: ' + error.message, true);
  }
});

refresh();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/** The demo's web page and the Content-Security-Policy that allows exactly its inline code. */
export interface DemoPage {
  html: string;
  contentSecurityPolicy: string;
}

/**
 * The page browser canaries click through: a form (Sensor, Value, Unit, a "Save" button) that
 * POSTs to the API, a `role=status` live region showing "Saved <id>", and a table of recent
 * measurements. Plain HTML with inline CSS/JS, no external assets.
 */
export function buildDemoPage(serviceName: string): DemoPage {
  const options = MEASUREMENT_UNITS.map((unit) => `<option value="${unit}">${unit}</option>`).join('');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${serviceName} — measurements</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Measurements</h1>
<form id="measurement-form" aria-label="New measurement">
<label for="sensor">Sensor</label>
<input id="sensor" name="sensor" required maxlength="64" value="greenhouse-1">
<label for="value">Value</label>
<input id="value" name="value" type="number" step="any" required value="21.5">
<label for="unit">Unit</label>
<select id="unit" name="unit">${options}</select>
<button type="submit">Save</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<h2 id="recent-heading">Recent measurements</h2>
<table aria-labelledby="recent-heading">
<thead><tr><th>Sensor</th><th>Value</th><th>Unit</th><th>Recorded at</th></tr></thead>
<tbody id="recent-rows"></tbody>
</table>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
