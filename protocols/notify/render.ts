/**
 * What each channel puts on the wire for one Notification, built from its fields alone (pure,
 * deterministic: the same Notification always gives the same bytes, so a resend is a true copy).
 *
 * - Slack incoming webhook: `{text, blocks}` (text is the notification fallback, Block Kit
 *   `header`, `section` with mrkdwn, `context`, and an `actions` button for the ack link).
 * - Microsoft Teams (Workflows "post to a channel when a webhook request is received", which
 *   replaced the Office 365 connectors): a `message` carrying one Adaptive Card 1.4 attachment.
 * - Google Chat incoming webhook: `{text, cardsV2}` (a card header, a text paragraph, the facts as
 *   decorated text, an openLink button).
 * - Email: subject (the title), plain text, and an HTML part with everything escaped.
 */
import type { Notification, Severity } from './notification.ts';

const SEVERITY_LABEL: Readonly<Record<Severity, string>> = { info: 'INFO', warning: 'WARNING', alarm: 'ALARM' };
const SEVERITY_COLOR: Readonly<Record<Severity, string>> = { info: '#2f6fde', warning: '#c77c02', alarm: '#c62828' };
const ACK_LABEL = 'Acknowledge';

/** `2026-12-07T19:56:24Z` (UTC, whole seconds): the same text in every channel. */
export function isoTime(at: number): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `key: value` lines of the facts, keys sorted (stable output whatever the insertion order). */
export function factLines(n: Notification): string[] {
  return Object.keys(n.facts)
    .sort()
    .map((k) => `${k}: ${String(n.facts[k])}`);
}

/** The body of a generic webhook: the Notification itself, keys in a fixed order. */
export function genericBody(n: Notification): Record<string, unknown> {
  return {
    key: n.key,
    eventId: n.eventId,
    severity: n.severity,
    title: n.title,
    text: n.text,
    at: n.at,
    time: isoTime(n.at),
    ...(n.ackUrl !== undefined ? { ackUrl: n.ackUrl } : {}),
    facts: Object.fromEntries(
      Object.keys(n.facts)
        .sort()
        .map((k) => [k, n.facts[k]]),
    ),
  };
}

/** Slack's mrkdwn escapes only these three (its "escaping text" rule). */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackBody(n: Notification): Record<string, unknown> {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${SEVERITY_LABEL[n.severity]}: ${n.title}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(n.text).slice(0, 3000) } },
  ];
  const facts = factLines(n);
  if (facts.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackEscape(facts.join('\n')).slice(0, 3000) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${isoTime(n.at)} · ${n.eventId}`) }] });
  if (n.ackUrl !== undefined)
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: ACK_LABEL }, url: n.ackUrl, style: 'primary' }] });
  return { text: slackEscape(`${SEVERITY_LABEL[n.severity]}: ${n.title}`), blocks };
}

export function teamsBody(n: Notification): Record<string, unknown> {
  const body: unknown[] = [
    {
      type: 'TextBlock',
      size: 'Large',
      weight: 'Bolder',
      wrap: true,
      color: n.severity === 'alarm' ? 'Attention' : n.severity === 'warning' ? 'Warning' : 'Default',
      text: `${SEVERITY_LABEL[n.severity]}: ${n.title}`,
    },
    { type: 'TextBlock', wrap: true, text: n.text },
  ];
  const keys = Object.keys(n.facts).sort();
  if (keys.length > 0) body.push({ type: 'FactSet', facts: keys.map((k) => ({ title: k, value: String(n.facts[k]) })) });
  body.push({ type: 'TextBlock', isSubtle: true, size: 'Small', wrap: true, text: `${isoTime(n.at)} · ${n.eventId}` });
  const card: Record<string, unknown> = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body };
  if (n.ackUrl !== undefined) card['actions'] = [{ type: 'Action.OpenUrl', title: ACK_LABEL, url: n.ackUrl }];
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

export function googleChatBody(n: Notification): Record<string, unknown> {
  const widgets: unknown[] = [{ textParagraph: { text: htmlEscape(n.text) } }];
  for (const k of Object.keys(n.facts).sort()) widgets.push({ decoratedText: { topLabel: htmlEscape(k), text: htmlEscape(String(n.facts[k])) } });
  if (n.ackUrl !== undefined) widgets.push({ buttonList: { buttons: [{ text: ACK_LABEL, onClick: { openLink: { url: n.ackUrl } } }] } });
  return {
    text: `${SEVERITY_LABEL[n.severity]}: ${n.title}`,
    cardsV2: [
      {
        cardId: 'atalaya',
        card: { header: { title: htmlEscape(n.title), subtitle: `${SEVERITY_LABEL[n.severity]} · ${isoTime(n.at)}` }, sections: [{ widgets }] },
      },
    ],
  };
}

/** Text for chat-like channels without markup (Telegram): title, text, facts, ack link. */
export function plainMessage(n: Notification): string {
  const lines = [`${SEVERITY_LABEL[n.severity]}: ${n.title}`, '', n.text];
  const facts = factLines(n);
  if (facts.length > 0) lines.push('', ...facts);
  lines.push('', `${isoTime(n.at)} · ${n.eventId}`);
  if (n.ackUrl !== undefined) lines.push(`${ACK_LABEL}: ${n.ackUrl}`);
  return lines.join('\n');
}

/** HTML-escapes the five characters that matter in text and attribute values. */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export function emailContent(n: Notification): EmailContent {
  const subject = `[${SEVERITY_LABEL[n.severity]}] ${n.title}`.replace(/[\r\n]+/g, ' ');
  const facts = Object.keys(n.facts).sort();
  const rows = facts
    .map((k) => `<tr><th align="left" style="padding:2px 12px 2px 0">${htmlEscape(k)}</th><td>${htmlEscape(String(n.facts[k]))}</td></tr>`)
    .join('');
  const button =
    n.ackUrl === undefined
      ? ''
      : `<p><a href="${htmlEscape(n.ackUrl)}" style="display:inline-block;padding:10px 18px;background:#1f6f3f;color:#ffffff;text-decoration:none;border-radius:4px">${ACK_LABEL}</a></p>`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${SEVERITY_COLOR[n.severity]}">${htmlEscape(`${SEVERITY_LABEL[n.severity]}: ${n.title}`)}</h2>`,
    `<p style="white-space:pre-wrap">${htmlEscape(n.text)}</p>`,
    rows === '' ? '' : `<table>${rows}</table>`,
    button,
    `<p style="color:#777;font-size:small">${htmlEscape(`${isoTime(n.at)} · ${n.eventId}`)}</p>`,
    '</body></html>',
  ].join('');
  const text = [
    n.text,
    ...(facts.length > 0 ? ['', ...factLines(n)] : []),
    ...(n.ackUrl !== undefined ? ['', `${ACK_LABEL}: ${n.ackUrl}`] : []),
    '',
    `${isoTime(n.at)} · ${n.eventId}`,
  ].join('\n');
  return { subject, text, html };
}

export type WebhookPreset = 'generic' | 'slack' | 'teams' | 'googlechat';

export function webhookBody(preset: WebhookPreset, n: Notification): Record<string, unknown> {
  switch (preset) {
    case 'generic':
      return genericBody(n);
    case 'slack':
      return slackBody(n);
    case 'teams':
      return teamsBody(n);
    case 'googlechat':
      return googleChatBody(n);
  }
}
