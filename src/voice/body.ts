import type { Readable } from 'node:stream';

/** A request body read chunk by chunk as the voice service asks for it; `release` discards what it did not read. */
export interface BodyReader extends AsyncIterable<Uint8Array> {
  /**
   * Stops reading: the rest of the body is read and dropped, so a kept-alive connection goes on to
   * its next request (Node leaves a body once read from to its reader, and a half-read one would
   * stall the connection).
   */
  release(): void;
}

/**
 * Reads a request body on demand with `data` events and back-pressure (pause until asked for the
 * next chunk), not the stream's async iterator, whose end destroys the request (and so the
 * response) and whose `readable` listener keeps `resume` from ever draining the rest.
 */
export function readBody(body: Readable): BodyReader {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let released = false;
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    body.pause();
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onClose = () => {
    if (!ended) failure ??= Object.assign(new Error('The upload was cut off'), { code: 'ECONNRESET' });
    wake?.();
  };
  const onError = (err: Error) => {
    failure ??= err;
    wake?.();
  };
  body.pause();
  body.on('data', onData);
  body.on('end', onEnd);
  body.on('close', onClose);
  body.on('error', onError);
  const detach = () => {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('close', onClose);
  };
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Uint8Array>> {
        while (!queue.length && !ended && !failure && !released) {
          const waiting = new Promise<void>((r) => (wake = r));
          body.resume();
          await waiting;
          wake = undefined;
        }
        const chunk = queue.shift();
        if (chunk) return { value: chunk, done: false };
        if (failure) throw failure;
        return { value: undefined, done: true };
      },
    }),
    release() {
      if (released) return;
      released = true;
      detach();
      queue.length = 0;
      wake?.();
      if (!body.readableEnded && !body.destroyed) body.resume(); // flowing with no listener: the rest is dropped
    },
  };
}
