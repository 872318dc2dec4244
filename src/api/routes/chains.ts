import type { ApiDeps } from '../deps.js';
import { mayUseChain } from '../callers.js';
import { ApiError } from '../problem.js';
import { toChainResource } from '../resources.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { chainListSchema, chainRefParam, chainSchema } from '../schemas.js';

export function chainRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/chains',
      operationId: 'listChains',
      summary: 'List the chains you may run',
      description: 'Each chain at its newest version, with all its versions, input schema and agent names.',
      tag: 'chains',
      // The first chain's name links to the chain routes; any other `data[i].name` works the same.
      responses: { 200: { description: 'The chains', schema: chainListSchema, provides: { chain: '$response.body#/data/0/name' } } },
      async handler(ctx) {
        const chains = deps.catalog.chains().filter((c) => mayUseChain(ctx.state.caller, c.name));
        ctx.body = { data: chains.map((c) => toChainResource(c.versions[0]!, c.versions)), next_cursor: null };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/chains/:chain',
      operationId: 'getChain',
      summary: 'Describe a chain (name or name@version)',
      tag: 'chains',
      params: chainRefParam,
      paramsNotFound: 'chain_not_found',
      responses: { 200: { description: 'The chain', schema: chainSchema }, 404: { description: 'chain_not_found' } },
      async handler(ctx, { params }) {
        const chain = deps.catalog.resolve(params.chain);
        if (!chain || !mayUseChain(ctx.state.caller, chain.name)) throw new ApiError('chain_not_found', `No chain "${params.chain}".`);
        const versions = deps.catalog.chains().find((c) => c.name === chain.name)!.versions;
        ctx.body = toChainResource(chain, versions);
      },
    }),
  ];
}
