import { provideInput, withAnswer } from '../../runs/input.js';
import { readOwnedRun } from '../../runs/read.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../problem.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { idempotencyKeyHeader, inputAcceptedSchema, inputAnswerRequest, linkAnswerRequest, respondTokenParam, runIdParam, runSchema } from '../schemas.js';
import { HEADER } from '../wire.js';
import { runResource } from './runs.js';

const refusals = {
  404: { description: 'not_found: no such run of yours (input route), or a wrong, tampered or expired link (respond route)' },
  409: { description: 'input_not_pending: the run does not wait for this step (not there yet, past it, or ended); input_already_provided: another answer won' },
  422: { description: "validation_failed: the value does not match the step's schema (errors[] says where; the run keeps waiting), or idempotency_conflict" },
} as const;

/** Answers to input steps: by the run's caller with an API key, or by whoever holds a webhook's respond_url. */
export function inputRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/input',
      operationId: 'provideInput',
      summary: 'Answer the input step a run waits at',
      description:
        "The run must be `waiting_for_input` at `step` (see its `input_request`). Of concurrent answers exactly one is taken; the others get 409 `input_already_provided`. A value that does not match the step's schema is 422 and the run keeps waiting.",
      tag: 'runs',
      params: runIdParam,
      body: inputAnswerRequest,
      headers: [{ name: 'Idempotency-Key', description: 'Up to 255 characters. A repeat with the same key and body gets the same answer; with another body, 422 idempotency_conflict.', schema: idempotencyKeyHeader }],
      responses: { 200: { description: 'The answer was taken: the run, running again', schema: runSchema }, ...refusals },
      async handler(ctx, { params, body }) {
        const callerId = ctx.state.caller.id;
        const taken = await provideInput(deps.client, {
          runId: params.run_id,
          callerId,
          step: body.step,
          value: body.value,
          answeredBy: 'caller',
          idempotencyKey: ctx.get(HEADER.idempotencyKey) || undefined,
        });
        // Read apart from the polls' shared read: the run may end within the next milliseconds, and a
        // poll right after its end must not be answered from this read of it running.
        ctx.body = runResource(deps, withAnswer(await readOwnedRun(deps.client, params.run_id, callerId), taken), ctx);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/input/:token',
      operationId: 'answerByLink',
      summary: 'Answer an input step through the respond_url of a run.input_required webhook',
      description:
        'No API key: the signed token in the path names the run and the step, and is valid until the step expires. It answers once; a second use is 409 `input_already_provided`, whose `answered_by` says who won: `link` means this link\'s answer was taken (e.g. when the first response was lost).',
      tag: 'runs',
      public: true,
      params: respondTokenParam,
      body: linkAnswerRequest,
      responses: {
        200: { description: 'The answer was taken', schema: inputAcceptedSchema },
        ...refusals,
        // Public, so the authenticated routes' common 503 is not added for it; the answer meets Temporal all the same.
        503: { description: 'unavailable: Temporal is unreachable or slow, or the workflow task that carried the answer failed (nothing was recorded); retry after Retry-After', headers: ['Retry-After'] },
      },
      async handler(ctx, { params, body }) {
        const target = deps.respondLinks.verify(params.token);
        if (!target) throw new ApiError('not_found', 'This respond link is not valid, or its step has expired.');
        await provideInput(deps.client, { ...target, value: body.value, answeredBy: 'link' });
        // The holder of a link answers one step; it learns nothing else of the run.
        ctx.body = { run_id: target.runId, step: target.step, answered_by: 'link' };
      },
    }),
  ];
}
