/**
 * The agent's MQTT broker as the agent wires it to its buffer: ingest goes to `buffer.appendWith`,
 * the republisher follows the buffer's commits. For the broker's integration tests, which give
 * their own broker config.
 */
import type { Logger } from 'pino';
import { MqttBroker } from '../../agent/broker/broker.ts';
import type { BrokerConfig } from '../../agent/broker/schema.ts';
import type { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { systemClock } from '../../protocols/clock.ts';

export function bufferedBroker(config: BrokerConfig, buffer: RecordBuffer, logger: Logger): MqttBroker {
  return new MqttBroker({
    config,
    gatewayId: 'gw1',
    sink: (records) => buffer.append(records),
    sinkWith: (records, mark, done) => buffer.appendWith(records, mark, done),
    onCommitted: (listener) => {
      buffer.on('committed', listener);
      return () => buffer.off('committed', listener);
    },
    bootId: 'boot-1',
    flags: () => 0,
    clock: systemClock,
    logger,
  });
}
