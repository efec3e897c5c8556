import { describe, expect, it } from 'vitest';
import type { Notification } from '../../protocols/notify/notification.ts';
import { emailContent, googleChatBody, plainMessage, slackBody, teamsBody, webhookBody } from '../../protocols/notify/render.ts';

const n: Notification = {
  key: 'alert-17:ops@example.cl',
  eventId: 'alarm:gw-1:det-1:ch4:high2:raised:4711',
  severity: 'alarm',
  title: 'Alarma CH4 alta en pozo Nº 3',
  text: 'CH4 25,3 %LEL <sobre> el límite "alto 2" & subiendo.',
  at: Date.UTC(2026, 11, 7, 19, 56, 24, 512),
  ackUrl: 'https://relay.example.cl/ack?t=abc&s=1',
  facts: { value: 25.3, gateway: 'gw-1', unit: '%LEL', cleared: false, obra: null },
};

describe('notification renderings', () => {
  it('generic: the notification, keys in a fixed order, facts sorted', () => {
    expect(JSON.stringify(webhookBody('generic', n))).toMatchSnapshot();
  });

  it('Slack: {text, blocks} with mrkdwn escaped and the ack button', () => {
    const b = slackBody(n);
    expect(b['text']).toBe('ALARM: Alarma CH4 alta en pozo Nº 3');
    expect(JSON.stringify(b)).toContain('&lt;sobre&gt;');
    expect(b).toMatchSnapshot();
  });

  it('Teams: a message with one Adaptive Card attachment and an OpenUrl action', () => {
    const b = teamsBody(n) as { type: string; attachments: Array<{ contentType: string; content: { type: string; actions: unknown[] } }> };
    expect(b.type).toBe('message');
    expect(b.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(b.attachments[0]?.content.type).toBe('AdaptiveCard');
    expect(b.attachments[0]?.content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Acknowledge', url: n.ackUrl }]);
    expect(b).toMatchSnapshot();
  });

  it('Google Chat: {text, cardsV2} with an openLink button', () => {
    const b = googleChatBody(n);
    expect(b['text']).toBe('ALARM: Alarma CH4 alta en pozo Nº 3');
    expect(JSON.stringify(b)).toContain('"openLink":{"url":"https://relay.example.cl/ack?t=abc&s=1"}');
    expect(b).toMatchSnapshot();
  });

  it('leaves the ack button out when there is no ack link', () => {
    const { ackUrl: _, ...rest } = n;
    expect(JSON.stringify(slackBody(rest))).not.toContain('actions');
    expect(JSON.stringify(teamsBody(rest))).not.toContain('Action.OpenUrl');
    expect(JSON.stringify(googleChatBody(rest))).not.toContain('buttonList');
    expect(emailContent(rest).html).not.toContain('<a ');
  });

  it('email: subject from the title, text part, HTML escaped with the ack link as a button', () => {
    const e = emailContent(n);
    expect(e.subject).toBe('[ALARM] Alarma CH4 alta en pozo Nº 3');
    expect(e.text).toContain('Acknowledge: https://relay.example.cl/ack?t=abc&s=1');
    expect(e.text).toContain('2026-12-07T19:56:24Z');
    expect(e.html).toContain('CH4 25,3 %LEL &lt;sobre&gt; el límite &quot;alto 2&quot; &amp; subiendo.');
    expect(e.html).toContain('<a href="https://relay.example.cl/ack?t=abc&amp;s=1"');
    expect(e.html).not.toContain('<sobre>');
    expect(emailContent({ ...n, title: 'a\r\nBcc: x@y.z' }).subject).toBe('[ALARM] a Bcc: x@y.z');
  });

  it('plain text for Telegram carries the facts and the ack link', () => {
    expect(plainMessage(n)).toMatchSnapshot();
  });
});
