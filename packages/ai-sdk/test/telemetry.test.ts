/** The model middleware needs no tracing code of its own: the handle's span covers the stream. */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { streamText } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { governModel } from '../src/index.js';
import { costOf, MODEL, RUN, setup, textParts, usage } from './support.js';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});

afterAll(() => {
  trace.disable();
});

it('streamText: one span from the reservation to the commit of the finish part’s usage', async () => {
  const { governor, settled } = await setup();
  let release!: () => void;
  const parts = textParts('hello there', usage(800, 40));
  const stream = new ReadableStream({
    async start(controller) {
      controller.enqueue(parts[0]);
      await new Promise<void>((resolve) => (release = resolve));
      for (const part of parts.slice(1)) controller.enqueue(part);
      controller.close();
    },
  });
  const mock = new MockLanguageModelV4({ ...MODEL, doStream: { stream } });
  const result = streamText({ model: governModel(mock, { governor }), prompt: 'x', maxOutputTokens: 100 });
  const text = result.text;
  await expect.poll(() => exporter.getFinishedSpans().map((s) => s.name)).toContain('governor.reserve');
  // Streaming: reserved, not yet settled, so the call's span is still open.
  expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['governor.reserve']);
  release();
  expect(await text).toBe('hellothere');
  const charged = costOf(MODEL, 800, 40);
  const call = exporter.getFinishedSpans().find((s) => s.name === 'governor llm.completion');
  expect(call?.attributes).toMatchObject({
    'governor.action.kind': 'llm.completion',
    'governor.action.name': 'openai.chat:gpt-4o-mini',
    'governor.scope_path': RUN,
    'governor.decision': 'ALLOW',
    'governor.settlement': 'committed',
    'governor.actual_source': 'reported',
    'governor.unit': 'USD_MICROCENTS',
    'governor.charged': charged,
  });
  const commit = exporter.getFinishedSpans().find((s) => s.name === 'governor.commit');
  expect(commit?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
  // In the order they ended: the call's span with its settlement, last.
  expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
    'governor.reserve',
    'governor.commit',
    'governor llm.completion',
  ]);
  await settled({ USD_MICROCENTS: charged });
});
