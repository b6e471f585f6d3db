import { Router } from 'express';
import type { Clock } from './clock.js';
import { sendEnvelope } from '../http/render/envelope.js';
import { HttpError } from '../http/http-error.js';

/** A clock the tests move forward: real time plus an offset. */
export class OffsetClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Sets the offset from real time; it may only grow, so time never runs backwards. */
  set(offsetSeconds: number): void {
    const offsetMs = Math.round(offsetSeconds * 1000);
    if (offsetMs < this.offsetMs) throw new HttpError('VALIDATION_ERROR', 'offsetSeconds may only grow: time does not run backwards', [{ field: 'offsetSeconds', message: 'must not be below the current offset' }]);
    this.offsetMs = offsetMs;
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }
}

/** `POST /__test/clock {offsetSeconds}` moves the server's clock; mounted only when config.testClock allows it. */
export function testClockRoutes(clock: OffsetClock): Router {
  const r = Router();
  r.post('/__test/clock', (req, res) => {
    const offset = (req.body as { offsetSeconds?: unknown } | undefined)?.offsetSeconds;
    if (typeof offset !== 'number' || !Number.isFinite(offset))
      throw new HttpError('VALIDATION_ERROR', 'offsetSeconds must be a number', [{ field: 'offsetSeconds', message: 'offsetSeconds must be a number' }]);
    clock.set(offset);
    sendEnvelope(res, { status: 200, code: 'OK', message: 'Clock moved', data: { now: clock.now().toISOString(), offsetSeconds: clock.offsetSeconds } });
  });
  return r;
}
