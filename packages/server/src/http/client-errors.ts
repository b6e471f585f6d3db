import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Envelope } from '@acct/shared';

/**
 * The most a request line and its headers may take together: Node's default, set here so a
 * `--max-http-header-size` in NODE_OPTIONS cannot raise it behind our back.
 */
export const MAX_HEADER_SIZE = 16 * 1024;

/** How long an answered connection may keep sending before it is cut (nginx's lingering close). */
const LINGER_MS = 5_000;

const REQUEST_LINE_START = /^[A-Z]+ /;
const REQUEST_LINE_END = / HTTP\/\d\.\d\r?$/;

/**
 * Whether the request line overflowed the limit (414) rather than the headers after it (431),
 * judged from the bytes Node was parsing when it overflowed (Node says "header overflow" for
 * both). A read that starts the request line and holds no line break, or holds a request line
 * longer than the limit, or ends a request line begun in an earlier read, is a long URL.
 * A URL trickled in reads that never show its start or end is reported as 431.
 */
export function requestLineTooLong(raw: Buffer | undefined): boolean {
  if (!raw?.length) return false;
  const text = raw.toString('latin1');
  const eol = text.indexOf('\n');
  const firstLine = eol === -1 ? text : text.slice(0, eol);
  if (REQUEST_LINE_START.test(firstLine)) return eol === -1 || firstLine.length >= MAX_HEADER_SIZE;
  return eol !== -1 && REQUEST_LINE_END.test(firstLine);
}

interface ClientError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/** What a connection-level error becomes: status, message; null when there is no one left to answer. */
function answerFor(err: ClientError): { status: number; message: string } | null {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(err.rawPacket)
        ? { status: 414, message: `The URL is too long: the request line and headers may take ${MAX_HEADER_SIZE / 1024} KB together` }
        : { status: 431, message: `The request headers are too large: the request line and headers may take ${MAX_HEADER_SIZE / 1024} KB together` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'The chunk extensions of the body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request took too long to arrive' };
    case 'ECONNRESET':
    case 'EPIPE':
      return null;
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1' };
  }
}

const ANSWERED = new WeakSet<Socket>();

/**
 * Node's `clientError`: a request the HTTP parser refused (too long a URL or headers, bad
 * syntax, a timeout) never reaches Express, and Node's own answer is an empty 431/400 and an
 * immediate close, which turns into a TCP reset while the client is still sending. Here it
 * is the envelope with `Connection: close`; the socket is half-closed and Node's parser keeps
 * reading what the client still sends (re-raising the error per read, ignored here), so the
 * client reads its answer instead of a reset; a client that keeps sending is cut after 5 s.
 */
export function answerClientErrors(logger: Logger): (err: ClientError, socket: Socket) => void {
  return function onClientError(err, socket) {
    if (ANSWERED.has(socket)) return;
    ANSWERED.add(socket);
    const answer = answerFor(err);
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!answer || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const envelope: Envelope = { success: false, status: answer.status, code: answer.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message: answer.message, data: null, meta: { requestId } };
    const body = JSON.stringify(envelope);
    logger.info({ requestId, status: answer.status, error: err.code ?? null, ip: socket.remoteAddress ?? null }, 'client error');
    socket.end(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  };
}
