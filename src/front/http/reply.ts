/**
 * The shapes every HTTP route of the front shares: a route, and JSON and text replies. Routes are split by
 * job in this folder; http-routes.ts assembles them behind the Host/Origin guard.
 */
import type { HttpReply, HttpRequestInfo } from '../../adapters/uws/server.js';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export interface Route {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly handler: (req: HttpRequestInfo) => Promise<HttpReply> | HttpReply;
}

export const json = (status: number, body: unknown): HttpReply => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify(body),
});

export const text = (status: number, body: string): HttpReply => ({ status, contentType: TEXT_TYPE, body });
