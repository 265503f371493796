/** Prometheus metrics of one server (its own registry, so several servers can share a process). */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'governor_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'governor_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'governor_decisions_total',
    help: 'Decisions of reserve and decide, by operation and decision',
    labelNames: ['operation', 'decision'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'governor_auth_failures_total',
    help: 'Requests refused for a missing, unknown or revoked key',
    labelNames: ['plane'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'governor_' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
