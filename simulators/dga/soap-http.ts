import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { IServices } from 'soap';
import { SOAP_PATH } from './types.ts';
import type { XmlElement } from './xml.ts';
import { parseXml } from './xml.ts';

/** HTTP plumbing of the SOAP endpoint: the request body, the WSDL and its XSDs, the services tree. */

const MAX_BODY = 1 << 20;

/**
 * `?wsdl`, and the XSDs it imports by relative name (so a client can load it over HTTP too).
 * The soap:address is rewritten to this endpoint, as SOAP stacks do, so that a client loading
 * the WSDL from the double never sends to the real DGA.
 */
export async function serveWsdl(url: URL, host: string | undefined, wsdlXml: string, wsdlPath: string, res: ServerResponse): Promise<void> {
  if (url.pathname === SOAP_PATH && url.search.toLowerCase() === '?wsdl') {
    const here = `http://${host ?? 'localhost'}${SOAP_PATH}`;
    const wsdl = wsdlXml.replace(/(<(?:[\w.-]+:)?address\s+location=")[^"]*(")/g, `$1${here.replace(/[&"<>]/g, '')}$2`);
    return void res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(wsdl);
  }
  const dir = path.dirname(wsdlPath);
  const name = url.pathname.slice(path.posix.dirname(SOAP_PATH).length + 1);
  if (url.pathname.startsWith(`${path.posix.dirname(SOAP_PATH)}/`) && /^[\w.-]+\.xsd$/.test(name) && (await readdir(dir)).includes(name)) {
    return void res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(await readFile(path.join(dir, name)));
  }
  res.writeHead(404).end();
}

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';

/** `{ service: { port: operations } }` for every service and port the WSDL declares (WSDL 1.1 §2.7). */
export function serviceTree(wsdl: string, operations: Record<string, unknown>): IServices {
  const tree: IServices = {};
  const named = (el: XmlElement, local: string): boolean => el.ns === WSDL_NS && el.local === local && el.attributes.has('name');
  for (const service of parseXml(wsdl).children.filter((c) => named(c, 'service'))) {
    const ports: Record<string, Record<string, unknown>> = {};
    for (const port of service.children.filter((c) => named(c, 'port'))) ports[port.attributes.get('name')!] = operations;
    tree[service.attributes.get('name')!] = ports as IServices[string];
  }
  return tree;
}

/** The request body as UTF-8, undefined when over 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
