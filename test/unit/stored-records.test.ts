import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultDataConverter, defaultPayloadConverter } from '@temporalio/common';
import { UnreadableRecordError } from '../../src/errors.js';
import { decodeMemo, failureMessage, parseRecord } from '../../src/temporal/payloads.js';
import { DELIVERY_MEMO_KEY, INPUT_MEMO_KEY, RESULT_MEMO_KEY } from '../../src/workflows/definitions.js';
import { deliveryRecordSchema, inputMemoSchema, runStateSchema } from '../../src/records/schemas.js';
import { HISTORIES_DIR } from '../fixtures/record-histories.js';
import { historyFromJSON } from '../helpers/history-json.js';

const SCHEMA_OF = { [RESULT_MEMO_KEY]: runStateSchema, [DELIVERY_MEMO_KEY]: deliveryRecordSchema, [INPUT_MEMO_KEY]: inputMemoSchema };

describe('records the workflows store in Temporal', () => {
  it('parse with the schemas the workflows write them with, in every recorded history', async () => {
    let parsed = 0;
    for (const file of readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'))) {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
      for (const event of history.events ?? []) {
        const memo = await decodeMemo(defaultDataConverter, event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields);
        for (const [key, value] of Object.entries(memo)) {
          const schema = SCHEMA_OF[key as keyof typeof SCHEMA_OF];
          assert.ok(schema, `${file}: memo key ${key} has a schema`);
          parseRecord(schema, value, `${file} memo ${key}`);
          parsed += 1;
        }
      }
    }
    assert.ok(parsed >= 10, `parsed ${parsed} memos`);
  });

  it('answers a clear error, naming the record and the fields, for a shape another version wrote', () => {
    const older = { run_id: 'run-1', chain: 'c', status: 'done', agents: 'a,b' };
    assert.throws(
      () => parseRecord(runStateSchema, older, 'The memo of run run-1'),
      (err: unknown) => err instanceof UnreadableRecordError && /^The memo of run run-1 is stored in a shape/.test(err.message) && /status/.test(err.fields) && /agents/.test(err.fields),
    );
  });

  it('reads a failure message the data converter encoded', async () => {
    const encodedAttributes = defaultPayloadConverter.toPayload({ message: 'the real message', stack_trace: '' });
    assert.equal(await failureMessage(defaultDataConverter, { message: 'Encoded failure', encodedAttributes }), 'the real message');
    assert.equal(await failureMessage(defaultDataConverter, { message: 'plain' }), 'plain');
    assert.equal(await failureMessage(defaultDataConverter, undefined), undefined);
  });
});
