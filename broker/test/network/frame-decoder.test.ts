/**
 * FrameDecoder: the same frames however the byte stream is cut, from stream chunks or from a
 * reused read buffer; frames never alias a transient chunk; sizes are checked before allocation.
 */
import t from 'tap';
import { FrameDecoder, FrameTooLargeError, PREALLOCATE_LIMIT } from '../../network/frame-decoder.js';

function framed(...bodies: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const b of bodies) {
    const size = Buffer.alloc(4);
    size.writeInt32BE(b.length);
    parts.push(size, b);
  }
  return Buffer.concat(parts);
}

const bodies = [Buffer.from('first frame'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('x'), Buffer.alloc(5000, 9)];
const stream = framed(...bodies);

/** Feeds `data` in pieces of the given sizes (cycled), through one reused buffer when transient. */
function decode(data: Buffer, pieceSizes: number[], transient: boolean): Buffer[] {
  const decoder = new FrameDecoder(1 << 24);
  const frames: Buffer[] = [];
  const readBuffer = Buffer.alloc(Math.max(...pieceSizes));
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const n = Math.min(pieceSizes[i % pieceSizes.length]!, data.length - pos);
    let chunk: Buffer;
    if (transient) {
      data.copy(readBuffer, 0, pos, pos + n);
      chunk = readBuffer.subarray(0, n);
    } else chunk = Buffer.from(data.subarray(pos, pos + n));
    decoder.push(chunk, (f) => frames.push(f), transient);
    // What a reused read buffer does next: the bytes are overwritten.
    if (transient) readBuffer.fill(0xee);
    pos += n;
  }
  t.equal(decoder.pendingBytes, 0, 'nothing left over');
  return frames;
}

t.test('every way of cutting the stream gives the same frames', async (t) => {
  for (const transient of [false, true]) {
    for (const sizes of [[1], [2], [3], [4], [5], [7, 1], [13], [4096], [stream.length], [1, 1000, 3]]) {
      const frames = decode(stream, sizes, transient);
      t.same(
        frames.map((f) => f.toString('hex')),
        bodies.map((b) => b.toString('hex')),
        `pieces of ${sizes.join('/')} bytes${transient ? ' from a reused buffer' : ''}`,
      );
    }
  }
});

t.test('a large frame is kept as the pieces received until it completes', async (t) => {
  const big = Buffer.alloc(PREALLOCATE_LIMIT + 10);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  const data = framed(big, Buffer.from('after'));
  const decoder = new FrameDecoder(1 << 24);
  const frames: Buffer[] = [];
  decoder.push(data.subarray(0, 1000), (f) => frames.push(f), true);
  t.equal(decoder.pendingBytes, 996, 'holds only what arrived');
  decoder.push(data.subarray(1000), (f) => frames.push(f), true);
  t.equal(frames.length, 2);
  t.ok(frames[0]!.equals(big), 'large frame intact');
  t.equal(frames[1]!.toString(), 'after');
});

t.test('sizes over the limit or negative are refused before anything is allocated', async (t) => {
  const decoder = new FrameDecoder(100);
  const size = Buffer.alloc(4);
  size.writeInt32BE(101);
  t.throws(() => decoder.push(size, () => t.fail('no frame')), FrameTooLargeError);
  const neg = new FrameDecoder(100);
  size.writeInt32BE(-1);
  t.throws(() => neg.push(size.subarray(0, 2), () => undefined) ?? neg.push(size.subarray(2), () => undefined), FrameTooLargeError, 'even when the size arrives in two pieces');
  const ok = new FrameDecoder(100);
  const frames: Buffer[] = [];
  ok.push(framed(Buffer.alloc(100, 1)), (f) => frames.push(f));
  t.equal(frames[0]!.length, 100, 'exactly the limit is accepted');
});
