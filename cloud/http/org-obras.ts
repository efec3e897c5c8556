/**
 * The organization scope of DGA routes (issue 15): an obra belongs to the organization of its
 * gateway (`dga.obras[].gateway` in the relay config; cloud/store/migrations-orgs.ts), so the DGA
 * tables carry no organization of their own.
 */
import type { FastifyRequest } from 'fastify';
import { assertInOrg, type OrgOfGateway } from './org-scope.ts';

export interface ObraScope {
  /** 404 (ATALAYA_API_NOT_FOUND) unless the request's principal may see the obra; the owner always passes (unknown obras are the engine's 404). */
  assert(request: FastifyRequest, obra: string): Promise<void>;
  /** Which obras the request's principal sees: every one for the owner. */
  visible(request: FastifyRequest): Promise<(obra: string) => boolean>;
}

export function obraScope(obras: ReadonlyArray<{ readonly code: string; readonly gateway: string }>, orgOfGateway: OrgOfGateway): ObraScope {
  const orgOfObra = async (obra: string): Promise<string | undefined> => {
    const gateway = obras.find((o) => o.code === obra)?.gateway;
    return gateway === undefined ? undefined : orgOfGateway(gateway);
  };
  return {
    async assert(request, obra) {
      const principal = request.principal;
      if (principal === undefined || principal.orgId === null) return;
      assertInOrg(principal, await orgOfObra(obra), `obra ${obra}`);
    },
    async visible(request) {
      const org = request.principal?.orgId ?? null;
      if (org === null) return () => true;
      const mine = new Set<string>();
      for (const o of obras) if ((await orgOfGateway(o.gateway)) === org) mine.add(o.code);
      return (obra) => mine.has(obra);
    },
  };
}
