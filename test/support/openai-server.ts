/**
 * A small OpenAI-compatible chat-completions server for tests, framework
 * neutral: any client (AI SDK providers, LangChain, plain fetch) can point its
 * base URL at `server.url`. Replies are scripted in order (then the default),
 * and every request is recorded so tests can assert what reached the provider.
 */
import Fastify from 'fastify';

export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

export interface ScriptedReply {
  /** An HTTP error status (e.g. 500): answered with an OpenAI-style error body. */
  status?: number;
  text?: string;
  toolCalls?: { id?: string; name: string; arguments: unknown }[];
  usage?: ScriptedUsage;
  /** Stream the text, then neither finish nor close: a provider stuck mid-answer (until the client goes). */
  hangAfterText?: boolean;
}

export interface RecordedRequest {
  model: string;
  stream: boolean;
  /** `max_tokens` or `max_completion_tokens`, whichever the client sent. */
  maxTokens: number | undefined;
  tools: string[];
  body: Record<string, unknown>;
}

export interface OpenAiServer {
  /** Base URL including `/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Queue replies for the next requests, in order. */
  reply(...replies: ScriptedReply[]): void;
  close(): Promise<void>;
}

const DEFAULT_REPLY: ScriptedReply = {
  text: 'Hello from the local server.',
  usage: { promptTokens: 12, completionTokens: 6 },
};

export async function startOpenAiServer(defaultReply: ScriptedReply = DEFAULT_REPLY): Promise<OpenAiServer> {
  const app = Fastify();
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  let n = 0;

  app.post('/v1/chat/completions', async (request, response) => {
    const body = request.body as Record<string, unknown>;
    const stream = body.stream === true;
    requests.push({
      model: String(body.model),
      stream,
      maxTokens: (body.max_tokens ?? body.max_completion_tokens) as number | undefined,
      tools: ((body.tools as { function: { name: string } }[] | undefined) ?? []).map((t) => t.function.name),
      body,
    });
    const reply = queue.shift() ?? defaultReply;
    if (reply.status && reply.status >= 400) {
      return response.code(reply.status).send({
        error: { message: `scripted ${reply.status}`, type: 'server_error', code: null },
      });
    }
    const id = `chatcmpl-${++n}`;
    const model = String(body.model);
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    if (!stream) return completion(id, model, reply);
    response.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const chunk of chunks(id, model, reply, includeUsage === true)) {
      if (reply.hangAfterText && chunk.choices[0]?.finish_reason) {
        await new Promise((resolve) => response.raw.once('close', resolve));
        return response;
      }
      response.raw.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    response.raw.end('data: [DONE]\n\n');
    return response;
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}/v1`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    close: () => app.close(),
  };
}

const toolCallsOf = (reply: ScriptedReply) =>
  reply.toolCalls?.map((call, index) => ({
    index,
    id: call.id ?? `call_${index}`,
    type: 'function',
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));

const finishReasonOf = (reply: ScriptedReply) => (reply.toolCalls?.length ? 'tool_calls' : 'stop');

function usageOf(usage: ScriptedUsage | undefined) {
  if (!usage) return undefined;
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

function completion(id: string, model: string, reply: ScriptedReply) {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text ?? null, tool_calls: toolCallsOf(reply) },
        finish_reason: finishReasonOf(reply),
      },
    ],
    usage: usageOf(reply.usage),
  };
}

function* chunks(
  id: string,
  model: string,
  reply: ScriptedReply,
  includeUsage: boolean,
): Generator<{ choices: { finish_reason?: string | null }[]; usage?: unknown }> {
  const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const choice = (delta: unknown, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  yield choice({ role: 'assistant', content: '' });
  for (const piece of (reply.text ?? '').match(/.{1,8}/gs) ?? []) yield choice({ content: piece });
  const calls = toolCallsOf(reply);
  if (calls) yield choice({ tool_calls: calls });
  yield choice({}, finishReasonOf(reply));
  if (includeUsage && reply.usage) yield { ...base, choices: [], usage: usageOf(reply.usage) };
}
