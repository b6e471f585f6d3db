import type { Response } from 'express';
import { setErrorHeaders, type Renderer } from './renderer.js';

/** Text for HTML: the five characters that could open markup or an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal complete page (the CSP allows no scripts or styles from elsewhere). */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

/** Writes a page the handler rendered. */
export function sendHtml(res: Response, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}

/**
 * Pages: the handler's reply carries the page (`html`); an error becomes a small page saying
 * what went wrong, with its status, never a stack trace.
 */
export const HTML: Renderer = {
  name: 'html',
  success(_req, res, reply) {
    sendHtml(res, reply.status, typeof reply.data === 'string' ? reply.data : '');
  },
  error(_req, res, err) {
    setErrorHeaders(res, err);
    sendHtml(res, err.status, htmlPage(err.status >= 500 ? 'Something went wrong' : err.message, `<p>${escapeHtml(err.code)}</p>`));
  },
};
