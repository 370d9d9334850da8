/**
 * What the front needs of a worker thread: batched posts and id-matched requests. WorkerLink implements
 * it in the hub; unit tests pass a stand-in.
 */
export interface Channel<In> {
  post(message: In): void;
  request<R>(make: (reqId: number) => In): Promise<R>;
}
