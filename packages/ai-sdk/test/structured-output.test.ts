import { generateText, Output, streamText } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governModel } from '../src/index.js';
import { costOf, MODEL, setup, textParts, textResult, usage } from './support.js';

// `ai` 7 folds generateObject/streamObject into generateText/streamText with an `output`.
const answer = Output.object({ schema: z.object({ answer: z.string() }) });

describe('structured output through governModel', () => {
  it('generateText with Output.object commits the priced usage', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: textResult('{"answer":"42"}', usage(200, 12)),
    });
    const result = await generateText({
      model: governModel(mock, { governor }),
      prompt: 'Answer.',
      output: answer,
    });
    expect(result.output).toEqual({ answer: '42' });
    expect(events.map((e) => e.type)).toEqual(['decision', 'commit']);
    await settled({ USD_MICROCENTS: costOf(MODEL, 200, 12) });
  });

  it('streamText with Output.object commits on finish', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doStream: async () => ({
        stream: convertArrayToReadableStream(textParts('{"answer": "42"}', usage(150, 9))),
      }),
    });
    const result = streamText({ model: governModel(mock, { governor }), prompt: 'Answer.', output: answer });
    expect(await result.output).toEqual({ answer: '42' });
    expect(events.map((e) => e.type)).toEqual(['decision', 'commit']);
    await settled({ USD_MICROCENTS: costOf(MODEL, 150, 9) });
  });
});
