import { describe, expect, it } from 'vitest';
import {
  filterCovers,
  isValidAclPattern,
  isValidTopicFilter,
  isValidTopicName,
  mayPublish,
  maySubscribe,
  topicLevels,
  topicMatches,
} from '../../agent/broker/acl.ts';

// Examples are quoted from MQTT 3.1.1 (OASIS Standard) §4.7.
describe('topic filters (MQTT 3.1.1 §4.7.1)', () => {
  it('§4.7.1.2 multi-level wildcard', () => {
    for (const topic of ['sport/tennis/player1', 'sport/tennis/player1/ranking', 'sport/tennis/player1/score/wimbledon']) {
      expect(topicMatches('sport/tennis/player1/#', topic)).toBe(true);
    }
    expect(topicMatches('sport/#', 'sport')).toBe(true);
    expect(isValidTopicFilter('#')).toBe(true);
    expect(topicMatches('#', 'sport/tennis')).toBe(true);
    // [MQTT-4.7.1-2]
    expect(isValidTopicFilter('sport/tennis#')).toBe(false);
    expect(isValidTopicFilter('sport/tennis/#/ranking')).toBe(false);
  });

  it('§4.7.1.3 single-level wildcard', () => {
    expect(topicMatches('sport/tennis/+', 'sport/tennis/player1')).toBe(true);
    expect(topicMatches('sport/tennis/+', 'sport/tennis/player2')).toBe(true);
    expect(topicMatches('sport/tennis/+', 'sport/tennis/player1/ranking')).toBe(false);
    expect(topicMatches('sport/+', 'sport')).toBe(false);
    expect(topicMatches('sport/+', 'sport/')).toBe(true);
    for (const ok of ['+', '+/tennis/#', 'sport/+/player1']) expect(isValidTopicFilter(ok)).toBe(true);
    // [MQTT-4.7.1-3]
    expect(isValidTopicFilter('sport+')).toBe(false);
    expect(topicMatches('+/+', '/finance')).toBe(true);
    expect(topicMatches('/+', '/finance')).toBe(true);
    expect(topicMatches('+', '/finance')).toBe(false);
  });

  it('§4.7.2 topics beginning with $ are not matched by a leading wildcard [MQTT-4.7.2-1]', () => {
    expect(topicMatches('#', '$SYS/monitor/Clients')).toBe(false);
    expect(topicMatches('+/monitor/Clients', '$SYS/monitor/Clients')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/monitor/Clients')).toBe(true);
    expect(topicMatches('$SYS/monitor/+', '$SYS/monitor/Clients')).toBe(true);
  });

  it('§4.7.3 names are non-empty, without U+0000 or wildcards, case sensitive, and "/" makes a level', () => {
    expect(isValidTopicName('')).toBe(false); // [MQTT-4.7.3-1]
    expect(isValidTopicName('a\u0000b')).toBe(false); // [MQTT-4.7.3-2]
    expect(isValidTopicName('sport/+')).toBe(false); // [MQTT-4.7.1-1]
    expect(isValidTopicName('ACCOUNTS')).toBe(true);
    expect(topicMatches('ACCOUNTS', 'Accounts')).toBe(false);
    expect(isValidTopicName('Accounts payable')).toBe(true);
    expect(topicLevels('/finance')).toBe(2);
    expect(topicMatches('finance', '/finance')).toBe(false);
  });
});

describe('ACL rules', () => {
  const device = { publish: ['atalaya/in/%u/#'], subscribe: ['atalaya/+/%u/#'] };

  it('%u confines a device to topics under its own user name', () => {
    expect(mayPublish(device, 'dev1', 'atalaya/in/dev1/telemetry')).toBe(true);
    expect(mayPublish(device, 'dev1', 'atalaya/in/dev2/telemetry')).toBe(false);
    expect(mayPublish(device, 'dev1', 'atalaya/in/dev10/telemetry')).toBe(false);
    expect(mayPublish(device, 'dev1', 'atalaya/in/dev1')).toBe(true);
  });

  it('a subscription is allowed only when the rule covers every topic the filter can match', () => {
    expect(maySubscribe(device, 'dev1', 'atalaya/gw1/dev1/#')).toBe(true);
    expect(maySubscribe(device, 'dev1', 'atalaya/+/dev1/ch4')).toBe(true);
    expect(maySubscribe(device, 'dev1', 'atalaya/gw1/+/ch4')).toBe(false);
    expect(maySubscribe(device, 'dev1', 'atalaya/#')).toBe(false);
    expect(maySubscribe(device, 'dev1', 'atalaya/gw1/dev1')).toBe(true);
    expect(filterCovers('a/+', 'a/#')).toBe(false);
    expect(filterCovers('a/#', 'a')).toBe(true);
    expect(filterCovers('#', '$SYS/#')).toBe(false);
  });

  it('patterns are checked as topic filters with %u substituted', () => {
    expect(isValidAclPattern('atalaya/in/%u/#')).toBe(true);
    expect(isValidAclPattern('atalaya/in/%u#')).toBe(false);
    expect(isValidAclPattern('')).toBe(false);
  });
});
