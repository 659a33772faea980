import t from 'tap';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';

t.test('many small fields are packed into few chunks', (t) => {
  const w = new Writer();
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    w.int16(2);
    w.string('described', false);
    w.int32(i);
  }
  const bytes = w.length;
  const parts = w.finish();
  // Chunks grow to 64 KiB; they once shrank to the few bytes left after each flush.
  t.ok(parts.length <= Math.ceil(bytes / 32_768) + 16, `${parts.length} chunks for ${bytes} bytes`);
  const r = new Reader(Buffer.concat(parts));
  for (let i = 0; i < n; i++) {
    if (r.int16() !== 2 || r.string(false) !== 'described' || r.int32() !== i) {
      t.fail(`field ${i} differs`);
      break;
    }
  }
  r.expectEnd('written fields');
  t.end();
});
