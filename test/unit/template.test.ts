import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render, templatePaths, type TemplateScope } from '../../src/workflows/template.js';

const scope: TemplateScope = {
  input: { topic: 'otters', count: 3, flags: { loud: true }, list: ['a', 'b', 'c'], nothing: null, price: '$& $1 $$' },
  agents: {
    extractor: { output: { name: 'Ada', tags: ['x', 'y'], score: 7 } },
    writer: { output: 'a short text' },
  },
};

describe('render', () => {
  it('replaces a string that is exactly one template with the value itself, keeping JSON types', () => {
    assert.deepEqual(render('{{agents.extractor.output}}', scope), { name: 'Ada', tags: ['x', 'y'], score: 7 });
    assert.equal(render('{{input.count}}', scope), 3);
    assert.equal(render('{{input.flags.loud}}', scope), true);
    assert.deepEqual(render('{{input.list}}', scope), ['a', 'b', 'c']);
    assert.deepEqual(render('{{input}}', scope), scope.input);
  });

  it('tolerates spaces inside the braces', () => {
    assert.equal(render('{{ input.topic }}', scope), 'otters');
    assert.equal(render('about {{  input.topic  }}!', scope), 'about otters!');
  });

  it('renders a missing whole-string path as null', () => {
    assert.equal(render('{{input.absent}}', scope), null);
    assert.equal(render('{{agents.nobody.output}}', scope), null);
    assert.equal(render('{{input.nothing}}', scope), null);
  });

  it('interpolates text: strings as they are, other values as JSON, missing values as empty', () => {
    assert.equal(render('Write about {{input.topic}}.', scope), 'Write about otters.');
    assert.equal(render('n={{input.count}} flags={{input.flags}}', scope), 'n=3 flags={"loud":true}');
    assert.equal(render('[{{input.absent}}][{{input.nothing}}]', scope), '[][]');
    assert.equal(render('{{agents.writer.output}} by {{agents.extractor.output.name}}', scope), 'a short text by Ada');
  });

  it('treats two adjacent templates as text, not as one value', () => {
    assert.equal(render('{{input.count}}{{input.count}}', scope), '33');
  });

  it('reads array elements by index', () => {
    assert.equal(render('{{input.list.1}}', scope), 'b');
    assert.equal(render('{{agents.extractor.output.tags.0}}-{{agents.extractor.output.tags.1}}', scope), 'x-y');
    assert.equal(render('{{input.list.9}}', scope), null);
  });

  it('renders every string inside objects and arrays and leaves other values alone', () => {
    const value = { prompt: 'About {{input.topic}}', nested: [{ who: '{{agents.extractor.output.name}}' }, 42, false, null], n: 1.5 };
    assert.deepEqual(render(value, scope), { prompt: 'About otters', nested: [{ who: 'Ada' }, 42, false, null], n: 1.5 });
  });

  it('does not change the value it renders', () => {
    const value = { prompt: 'About {{input.topic}}', list: ['{{input.count}}'] };
    const copy = structuredClone(value);
    render(value, scope);
    assert.deepEqual(value, copy);
  });

  it('never reaches the prototype chain', () => {
    assert.equal(render('{{input.constructor}}', scope), null);
    assert.equal(render('{{input.__proto__}}', scope), null);
    assert.equal(render('{{agents.toString}}', scope), null);
    assert.equal(render('x{{input.topic.length}}x', scope), 'xx', 'string properties are not own object keys');
  });

  it('inserts values literally, without re-rendering templates or $ patterns inside them', () => {
    const tricky: TemplateScope = { input: { text: '{{input.secret}}', secret: 'hidden' }, agents: {} };
    assert.equal(render('say {{input.text}}', tricky), 'say {{input.secret}}');
    assert.equal(render('{{input.text}}', tricky), '{{input.secret}}');
    assert.equal(render('cost: {{input.price}}', scope), 'cost: $& $1 $$');
  });

  it('leaves text with unmatched or empty braces as it is', () => {
    assert.equal(render('{{ not closed', scope), '{{ not closed');
    assert.equal(render('{{}} and {single}', scope), '{{}} and {single}');
  });
});

describe('templatePaths', () => {
  it('lists every template path in nested strings, trimmed, in order', () => {
    const value = {
      a: 'Hi {{input.name}} and {{ agents.first.output }}',
      b: ['{{agents.second.output.field}}', 7, { c: 'no templates' }],
      d: null,
    };
    assert.deepEqual(templatePaths(value), ['input.name', 'agents.first.output', 'agents.second.output.field']);
  });

  it('finds none in plain values', () => {
    assert.deepEqual(templatePaths('plain'), []);
    assert.deepEqual(templatePaths(42), []);
    assert.deepEqual(templatePaths(undefined), []);
  });
});
