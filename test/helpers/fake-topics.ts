/**
 * In-memory uWS pub/sub for the front's unit tests: fake sockets subscribe to topics, and a publish hands
 * the frame to each subscriber's own send() in call order (the publisher left out on request), as uWS does.
 * One instance per test setup, so subscriber counts never leak between tests.
 */
import type { WsConnection } from '../../src/adapters/uws/server.js';

type TopicMethods = Pick<WsConnection<unknown>, 'subscribe' | 'unsubscribe' | 'subscribers' | 'publish'>;
type Sender = Pick<WsConnection<unknown>, 'send'>;

export interface FakeTopics {
  /** Gives a fake socket the topic methods, bound to this pub/sub. */
  attach<C extends Sender>(conn: C): NoInfer<C> & TopicMethods;
  /** Publishes made so far, one per (topic, message): what uWS would have fanned out. */
  readonly published: Array<{ topic: string; data: string | Uint8Array }>;
}

export function fakeTopics(): FakeTopics {
  const topics = new Map<string, Set<Sender>>();
  const published: Array<{ topic: string; data: string | Uint8Array }> = [];
  return {
    published,
    attach: (conn) =>
      Object.assign(conn, {
        subscribe: (topic: string) => {
          let members = topics.get(topic);
          if (members === undefined) topics.set(topic, (members = new Set()));
          members.add(conn);
        },
        unsubscribe: (topic: string) => void topics.get(topic)?.delete(conn),
        subscribers: (topic: string) => topics.get(topic)?.size ?? 0,
        publish: (topic: string, data: string | Uint8Array, binary: boolean, skipSelf: boolean) => {
          published.push({ topic, data });
          let reached = 0;
          for (const member of topics.get(topic) ?? [])
            if (!skipSelf || member !== conn) {
              member.send(data, binary);
              reached += 1;
            }
          return reached;
        },
      }),
  };
}
