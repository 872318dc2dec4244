import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as workflows from '../../src/workflows/index.js';
import { CHAIN_WORKFLOW, RERUN_BATCH_WORKFLOW, WEBHOOK_DELIVERY_WORKFLOW } from '../../src/workflows/definitions.js';

describe('workflow type names', () => {
  it('are the names the workflow bundle exports, which the worker registers', () => {
    assert.deepEqual(Object.keys(workflows).sort(), [CHAIN_WORKFLOW, RERUN_BATCH_WORKFLOW, WEBHOOK_DELIVERY_WORKFLOW].sort());
  });
});
