import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../route.js';

const INDUSTRIES = ['software', 'logistics', 'energy', 'healthcare', 'retail', 'finance'] as const;
const COUNTRIES = ['Germany', 'Canada', 'Japan', 'Brazil', 'Kenya', 'Australia'] as const;

const enrichment = z.object({ company: z.string(), industry: z.enum(INDUSTRIES), employees: z.number().int(), country: z.enum(COUNTRIES) });

/**
 * A stand-in enrichment service so the shipped `data-enrichment` chain runs on a machine with no
 * internet. Deterministic: the same company always gets the same profile. Not part of /api/v1.
 */
export function demoRoutes(): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/demo/enrich',
      operationId: 'demoEnrich',
      summary: 'Demo enrichment endpoint used by the data-enrichment chain',
      tag: 'demo',
      public: true,
      body: z.object({ company: z.string().min(1).max(200) }),
      responses: { 200: { description: 'A made-up company profile', schema: enrichment } },
      async handler(ctx, { body }) {
        const hash = createHash('sha256').update(body.company.toLowerCase()).digest();
        ctx.body = {
          company: body.company,
          industry: INDUSTRIES[hash[0]! % INDUSTRIES.length],
          employees: 10 + (hash.readUInt16BE(1) % 5000),
          country: COUNTRIES[hash[3]! % COUNTRIES.length],
        };
      },
    }),
  ];
}
