/**
 * Correlation per the protocol's CORRELATION AND TRACING rules: the trace id
 * comes from a valid `traceparent`, else a valid `X-Cycles-Trace-Id`, else a
 * fresh one; malformed headers are ignored, never rejected. The request's span
 * (through @opentelemetry/api, a no-op until the application installs an SDK)
 * is a child of that trace.
 */
import { randomUUID } from 'node:crypto';
import { context, type Span, type SpanContext, SpanKind, TraceFlags, trace } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const ZERO32 = /^0{32}$/;
const ZERO16 = /^0{16}$/;

export interface TraceInfo {
  traceId: string;
  /** The inbound parent, when a valid traceparent came in. */
  parentSpanId?: string;
  flags: number;
}

/** 32 random hex digits (randomUUID draws from a cached entropy pool: far cheaper than randomBytes per request). */
const hex32 = () => randomUUID().replaceAll('-', '');
const hex16 = () => hex32().slice(0, 16);

function freshTraceId(): string {
  for (;;) {
    const id = hex32();
    if (!ZERO32.test(id)) return id;
  }
}

export function traceOf(headers: Record<string, string | string[] | undefined>): TraceInfo {
  const tp = headers.traceparent;
  if (typeof tp === 'string') {
    const m = TRACEPARENT.exec(tp.trim().toLowerCase());
    if (m && !ZERO32.test(m[1] as string) && !ZERO16.test(m[2] as string)) {
      return {
        traceId: m[1] as string,
        parentSpanId: m[2] as string,
        flags: Number.parseInt(m[3] as string, 16),
      };
    }
  }
  const flat = headers['x-cycles-trace-id'];
  if (typeof flat === 'string' && TRACE_ID.test(flat) && !ZERO32.test(flat)) {
    return { traceId: flat, flags: TraceFlags.SAMPLED };
  }
  return { traceId: freshTraceId(), flags: TraceFlags.SAMPLED };
}

const tracer = trace.getTracer('@governor/server');

/** Start the request's server span under the request's trace. */
export function startRequestSpan(name: string, info: TraceInfo, attributes: Record<string, string>): Span {
  const parent: SpanContext = {
    traceId: info.traceId,
    spanId: info.parentSpanId ?? hex16(),
    traceFlags: info.flags,
    isRemote: true,
  };
  const ctx = trace.setSpanContext(context.active(), parent);
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, ctx);
}

/** The traceparent to echo: the trace, the server span's id (or a fresh one), the inbound flags. */
export function traceparentOf(info: TraceInfo, span: Span | undefined): string {
  const spanId = span?.spanContext().spanId;
  const id =
    spanId &&
    !ZERO16.test(spanId) &&
    spanId !== info.parentSpanId &&
    span?.spanContext().traceId === info.traceId
      ? spanId
      : hex16();
  return `00-${info.traceId}-${id}-${info.flags.toString(16).padStart(2, '0')}`;
}
