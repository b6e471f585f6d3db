import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Several middleware as one: each runs in order and passes on with `next()`, an error (passed,
 * thrown, or a rejected promise) goes to Express's error handlers. Express's router spends more
 * on each layer it walks than these small checks cost, so the app mounts its prelude as one.
 */
export function sequence(handlers: readonly RequestHandler[]): RequestHandler {
  return function sequenced(req: Request, res: Response, next: NextFunction) {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch(next);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
