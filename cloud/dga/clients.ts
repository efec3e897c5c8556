import type { Logger } from 'pino';
import type { DgaClient } from './client.ts';
import type { DgaConfig, DgaInterface } from './config.ts';
import { RestDgaClient } from './rest-client.ts';
import { SoapDgaClient } from './soap-client.ts';

/** The clients of a relay, one per interface, built on first use. */
export interface DgaClients {
  get(iface: DgaInterface): DgaClient;
  close(): Promise<void>;
}

export function createDgaClients(config: DgaConfig, logger: Logger): DgaClients {
  const built = new Map<DgaInterface, DgaClient>();
  return {
    get(iface) {
      let client = built.get(iface);
      if (client === undefined) {
        client =
          iface === 'rest'
            ? new RestDgaClient({ baseUrl: config.restBaseUrl, timeoutMs: config.timeoutMs, logger })
            : new SoapDgaClient({ endpoint: config.soapEndpoint, timeoutMs: config.timeoutMs, logger });
        built.set(iface, client);
      }
      return client;
    },
    async close() {
      const clients = [...built.values()];
      built.clear();
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
