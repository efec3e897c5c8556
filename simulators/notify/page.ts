import type { Message } from './inbox.ts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** GET /: what arrived, newest first, as one small HTML table (refreshes every 5 s). */
export function listingPage(messages: readonly Message[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) =>
        `<tr><td>${m.seq}</td><td>${esc(new Date(m.at).toISOString())}</td><td>${m.channel}</td><td>${esc(m.to)}</td><td>${esc(m.subject ?? '')}</td><td><pre>${esc(m.text)}</pre></td><td>${esc(m.key ?? '')}${m.duplicate ? ' <b>DUPLICATE</b>' : ''}</td><td>${esc(m.signature ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>atalaya sim notify</title>
<style>body{font-family:sans-serif}td,th{border-bottom:1px solid #ddd;padding:4px;vertical-align:top;text-align:left}pre{margin:0;white-space:pre-wrap}</style></head>
<body><h1>Notifications received (${messages.length})</h1><p>JSON: <a href="/messages">/messages</a></p>
<table><tr><th>#</th><th>at</th><th>channel</th><th>to</th><th>subject</th><th>text</th><th>key</th><th>signature</th></tr>
${rows}
</table></body></html>`;
}
