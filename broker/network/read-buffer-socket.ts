/**
 * Reads an accepted connection into a buffer the broker owns, instead of a new one per read.
 *
 * For every read of a stream socket Node allocates a 64 KiB buffer, zero-fills it, shrinks it to
 * the bytes read and pushes it through the Readable machinery. Under produce load that is most of
 * the broker's allocation, and the off-heap bytes it churns are what trigger V8's full
 * collections. A socket created with the `onread` option reads into one reusable buffer and calls
 * back directly; Node offers the option only to sockets it creates, not to accepted ones, so the
 * accepted socket's handle moves into a new Socket that has it. Where that is not possible the
 * caller keeps reading the stream.
 */
import { Socket, type OnReadOpts } from 'node:net';

/** Node's own field holding a socket's libuv handle; there is no public way to move it. */
interface WithHandle {
  _handle: object | null;
}

/**
 * Returns a Socket on `accepted`'s connection that reads into `buffer` and calls `onRead` with
 * the bytes read (valid only during the call), or null to keep using `accepted` as a stream.
 * `accepted` must still be paused (`pauseOnConnect`); it is released when the move succeeds.
 */
export function adoptWithReadBuffer(accepted: Socket, buffer: Buffer, onRead: (bytes: Buffer) => void): Socket | null {
  const handle = (accepted as unknown as WithHandle)._handle;
  if (handle === null || typeof handle !== 'object') return null;
  const onread: OnReadOpts = {
    buffer,
    callback: (n: number, buf: Uint8Array): boolean => {
      onRead((buf as Buffer).subarray(0, n));
      return true; // pausing is left to socket.pause()
    },
  };
  let socket: Socket;
  try {
    // `handle` is not in the typings of the constructor options; Node accepts it (it is how the
    // server builds accepted sockets).
    socket = new Socket({ handle, onread, readable: true, writable: true } as ConstructorParameters<typeof Socket>[0]);
  } catch {
    return null;
  }
  (accepted as unknown as WithHandle)._handle = null;
  accepted.destroy();
  return socket;
}
